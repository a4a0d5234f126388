import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseOptions } from '@app/application/database-options';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { freePort } from '../test/setup/postgres-server';
import { DatabaseNotChosen, openCliDatabase, takeDatabaseUrlFlag } from './cli-database';

/** The CLIs work only on a database they were pointed at (issue: audit:verify used whatever answered on the default port). */
describe('the database of a command-line tool', () => {
  const saved = { DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR };
  const quiet = () => undefined;
  let scratch: string;
  let db: TestDatabase;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'cli-database-'));
    db = await createTestDatabase('cli_database');
    await (await new DataSource(databaseOptions(db.url)).initialize()).destroy();
  });

  beforeEach(() => {
    delete process.env.DATABASE_URL;
    process.env.DATA_DIR = join(scratch, 'no-such-data-dir');
  });

  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(scratch, { recursive: true, force: true });
    await db?.drop();
  });

  it('takes --database-url from the arguments, in either form, and leaves the rest', () => {
    expect(takeDatabaseUrlFlag(['--stream', 's', '--database-url', 'postgres://h/d', '--out', 'f'])).toEqual({ databaseUrl: 'postgres://h/d', rest: ['--stream', 's', '--out', 'f'] });
    expect(takeDatabaseUrlFlag(['--database-url=postgres://h/d'])).toEqual({ databaseUrl: 'postgres://h/d', rest: [] });
    expect(takeDatabaseUrlFlag(['--json'])).toEqual({ databaseUrl: undefined, rest: ['--json'] });
    expect(() => takeDatabaseUrlFlag(['--database-url'])).toThrow(DatabaseNotChosen);
    expect(() => takeDatabaseUrlFlag(['--database-url', '--json'])).toThrow(DatabaseNotChosen);
  });

  it('refuses to run with neither DATABASE_URL, --database-url nor an existing embedded data directory', async () => {
    await expect(openCliDatabase({ log: quiet })).rejects.toThrow(DatabaseNotChosen);
    await expect(openCliDatabase({ log: quiet })).rejects.toThrow(/Set DATABASE_URL, pass --database-url <url>, or run `npm start`/);
  });

  it('uses --database-url before DATABASE_URL', async () => {
    process.env.DATABASE_URL = 'postgres://nobody:secret@127.0.0.1:1/nothing';
    const database = await openCliDatabase({ databaseUrl: db.url, log: quiet });
    expect(database.url).toBe(db.url);
    expect(database.description).toMatch(/^--database-url/);
    await database.stop();
  });

  it('uses DATABASE_URL, and never prints its password', async () => {
    process.env.DATABASE_URL = db.url;
    const database = await openCliDatabase({ log: quiet });
    expect(database.url).toBe(db.url);
    const withPassword = new URL(db.url);
    if (withPassword.password) expect(database.description).not.toContain(withPassword.password);
    await database.stop();
  });

  it('refuses a database that holds no Grant Ledger event log (the wrong database)', async () => {
    const server = new URL(db.url);
    server.pathname = '/postgres';
    await expect(openCliDatabase({ databaseUrl: server.toString(), log: quiet })).rejects.toThrow(/holds no Grant Ledger event log/);
  });

  it('says a server that does not answer for a moment (restarting) is that, not a wrong configuration', async () => {
    // A data directory whose postmaster.pid names a live process (this one) and a port nothing listens on: as while PostgreSQL restarts.
    const databaseDir = join(scratch, 'restarting', 'postgres');
    mkdirSync(databaseDir, { recursive: true });
    writeFileSync(join(databaseDir, 'PG_VERSION'), '18\n');
    writeFileSync(join(databaseDir, 'postmaster.pid'), `${process.pid}\n${databaseDir}\n0\n${await freePort()}\n`);
    process.env.DATA_DIR = join(scratch, 'restarting');
    const refused = openCliDatabase({ log: quiet });
    await expect(refused).rejects.toThrow(/is starting, stopping or restarting .*: run this again in a moment/);
    await expect(refused).rejects.not.toThrow(/set DATABASE_URL/);
  });

  it("refuses a running server that is not the embedded data directory's own", async () => {
    // A data directory whose postmaster.pid names a live process (this one) and the port of another server.
    const databaseDir = join(scratch, 'data', 'postgres');
    mkdirSync(databaseDir, { recursive: true });
    writeFileSync(join(databaseDir, 'PG_VERSION'), '18\n');
    writeFileSync(join(databaseDir, 'postmaster.pid'), `${process.pid}\n${databaseDir}\n0\n${new URL(db.url).port}\n`);
    process.env.DATA_DIR = join(scratch, 'data');
    await expect(openCliDatabase({ log: quiet })).rejects.toThrow(DatabaseNotChosen);
  });
});
