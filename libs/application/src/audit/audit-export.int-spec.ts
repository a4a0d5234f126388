import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NewEvent, PostgresEventStore } from '@app/event-store';
import { chainHashOf, HashChainingEventStore } from '@app/event-store/hash-chain';
import { databaseOptions } from '../database-options';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { callStreamName } from '@app/domain/call';
import { grantStreamName } from '@app/domain/grant';
import { proposalStreamName } from '@app/domain/proposal';
import { poolAuditDb } from './audit-db';
import { exportAuditBundle, manifestPathOf, type BundleManifest } from './audit-export';
import { auditSigningKeyFromEnv } from './audit-signing-key';
import { sealEverything, verifyBundle } from './audit-testing';
import { AuditSealer } from './sealer';

/** Flips one bit inside the bundle's CallPublished event, as a careless or malicious edit would. */
function flipByteOf(file: string): void {
  const bytes = readFileSync(file);
  const at = bytes.indexOf('CallPublished') + 4;
  bytes[at] = bytes[at] ^ 0x01;
  writeFileSync(file, bytes);
}

const event = (type: string, data: Record<string, unknown>): NewEvent => ({
  type,
  schemaVersion: 1,
  data,
  metadata: { eventId: randomUUID(), actorId: 'officer', actorRole: 'grant-manager', correlationId: 'corr', causationId: 'cause' },
});

describe('audit export bundle and its offline verifier', () => {
  const signingKey = auditSigningKeyFromEnv({});
  const callId = randomUUID();
  const otherCallId = randomUUID();
  const proposalIds = [randomUUID(), randomUUID()];
  const otherProposalId = randomUUID();
  const grantId = randomUUID();
  let db: TestDatabase;
  let pool: Pool;
  let store: HashChainingEventStore;
  let dir: string;
  let exportBundle: (target: { stream: string } | { call: string }, name: string) => Promise<{ file: string; manifest: BundleManifest }>;

  beforeAll(async () => {
    db = await createTestDatabase('export');
    const base = databaseOptions(db.url);
    await (await new DataSource(base).initialize()).destroy();
    pool = new Pool({ connectionString: db.url, max: 4 });
    pool.on('error', () => undefined);
    store = new HashChainingEventStore(new PostgresEventStore({ pool }));
    const auditDb = poolAuditDb(pool);
    const sealer = new AuditSealer({ store, db: auditDb, signingKey, everyEvents: 3 });
    dir = mkdtempSync(join(tmpdir(), 'audit-export-'));

    await store.append(callStreamName(callId), [event('CallDrafted', { callId, title: 'Call' })], 'no_stream');
    await store.append(callStreamName(otherCallId), [event('CallDrafted', { callId: otherCallId, title: 'Other' })], 'no_stream');
    for (const proposalId of proposalIds) {
      await store.append(
        proposalStreamName(proposalId),
        [event('ProposalDrafted', { proposalId, callId, contact: { $pii: { v: 1, subject: 'organisation-x', kid: 'k', iv: 'aXY=', ct: 'Y2lwaGVy', tag: 'dGFn' } } })],
        'no_stream',
      );
    }
    await store.append(proposalStreamName(otherProposalId), [event('ProposalDrafted', { proposalId: otherProposalId, callId: otherCallId })], 'no_stream');
    await store.append(callStreamName(callId), [event('CallPublished', { callId })], 0);
    await store.append(proposalStreamName(proposalIds[0]), [event('ProposalSubmitted', { proposalId: proposalIds[0] })], 0);
    await store.append(grantStreamName(grantId), [event('GrantAwarded', { grantId, proposalId: proposalIds[0], callId, amountMinor: 500000, currency: 'EUR' })], 'no_stream');
    await sealEverything(sealer, auditDb);
    // One more event after the latest seal: exported, but only its stream chain vouches for it.
    await store.append(callStreamName(callId), [event('CallClosed', { callId })], 1);

    exportBundle = async (target, name) => {
      const file = join(dir, name);
      const manifest = await exportAuditBundle({ store, db: auditDb, key: signingKey, target, outFile: file, now: new Date('2027-02-01T00:00:00Z') });
      return { file, manifest };
    };
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await store.close();
    await pool.end();
    await db.drop();
  });

  it('a call bundle holds the call, its proposals and its grants — as stored, ciphertext not clear text', async () => {
    const { file, manifest } = await exportBundle({ call: callId }, 'call.jsonl');
    expect(manifest.streams.map((s) => s.streamId).sort()).toEqual(
      [callStreamName(callId), grantStreamName(grantId), ...proposalIds.map(proposalStreamName)].sort(),
    );
    expect(manifest).toMatchObject({ format: 'grant-ledger-audit-bundle/1', createdAt: '2027-02-01T00:00:00.000Z', events: { file: 'call.jsonl', count: 7 }, unsealedEvents: 1 });
    expect(manifest.publicKey).toMatchObject({ keyId: signingKey.keyId, pem: signingKey.publicKeyPem });
    expect(manifest.seals.length).toBeGreaterThan(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { streamId: string; data: unknown; metadata: { chain?: unknown; recordedAt?: string } });
    expect(lines).toHaveLength(7);
    expect(lines.every((line) => line.metadata.chain && line.metadata.recordedAt)).toBe(true);
    expect(JSON.stringify(lines)).toContain('"$pii"');
    expect(lines.some((line) => line.streamId === proposalStreamName(otherProposalId))).toBe(false);
  });

  it('the standalone verifier passes an untouched bundle, seals included', async () => {
    const { file } = await exportBundle({ call: callId }, 'clean.jsonl');
    const result = await verifyBundle(file);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, events: 7, streams: 4, sealedEvents: 6, unsealedEvents: 1, keyId: signingKey.keyId });
  });

  it('a single stream can be exported and verified on its own', async () => {
    const { file, manifest } = await exportBundle({ stream: proposalStreamName(proposalIds[0]) }, 'stream.jsonl');
    expect(manifest.events.count).toBe(2);
    await expect(verifyBundle(manifestPathOf(file))).resolves.toMatchObject({ code: 0 });
  });

  it('checks the events file named on its command line: a renamed bundle verifies, and an untouched copy beside it does not answer for it', async () => {
    const { file } = await exportBundle({ call: callId }, 'original.jsonl');
    const renamed = join(dir, 'evidence-2027.jsonl');
    writeFileSync(renamed, readFileSync(file));
    writeFileSync(manifestPathOf(renamed), readFileSync(manifestPathOf(file)));
    const result = await verifyBundle(renamed);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, file: renamed, events: 7 });
    // The renamed copy altered, the original (the name inside the manifest) still lying beside it.
    flipByteOf(renamed);
    const altered = await verifyBundle(renamed);
    expect(altered.code).toBe(1);
    expect(altered.stderr).toMatch(/evidence-2027\.jsonl does not match the manifest/);
  });

  it('an empty bundle is not "verified": nothing in it to check', async () => {
    const { file, manifest } = await exportBundle({ call: randomUUID() }, 'empty.jsonl');
    expect(manifest.events.count).toBe(0);
    const result = await verifyBundle(file);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/holds no events: nothing to verify/);
    expect(result.stdout).toBe('');
  });

  it('one flipped byte in the events file fails with a clear message', async () => {
    const { file } = await exportBundle({ call: callId }, 'flipped.jsonl');
    flipByteOf(file);
    const result = await verifyBundle(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/BUNDLE BROKEN: .*flipped\.jsonl does not match the manifest: sha256 [0-9a-f]{64}/);
  });

  it('an edited event with the manifest hash updated to match fails on its stream chain', async () => {
    const { file } = await exportBundle({ call: callId }, 'edited.jsonl');
    const text = readFileSync(file, 'utf8').replace('"amountMinor":500000', '"amountMinor":900000');
    writeFileSync(file, text);
    const manifest = JSON.parse(readFileSync(manifestPathOf(file), 'utf8')) as BundleManifest;
    manifest.events.sha256 = createHash('sha256').update(text).digest('hex');
    writeFileSync(manifestPathOf(file), JSON.stringify(manifest));
    const result = await verifyBundle(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`stream ${grantStreamName(grantId)} version 0`);
    expect(result.stderr).toContain('altered');
  });

  it('an edited event whose chain and manifest were recomputed too fails on the signed seals', async () => {
    // The forger knows every algorithm but not the signing key.
    const { file } = await exportBundle({ call: callId }, 'forged.jsonl');
    const manifest = JSON.parse(readFileSync(manifestPathOf(file), 'utf8')) as BundleManifest;
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Parameters<typeof chainHashOf>[0] & { metadata: { chain: { prev: string; hash: string } } });
    const grant = lines.find((line) => line.streamId === grantStreamName(grantId))!;
    grant.data = { ...(grant.data as object), amountMinor: 900000 };
    grant.metadata.chain.hash = chainHashOf(grant, grant.metadata.chain.prev);
    const text = lines.map((line) => `${JSON.stringify(line)}\n`).join('');
    writeFileSync(file, text);
    manifest.events.sha256 = createHash('sha256').update(text).digest('hex');
    manifest.streams.find((s) => s.streamId === grant.streamId)!.headHash = grant.metadata.chain.hash;
    writeFileSync(manifestPathOf(file), JSON.stringify(manifest));
    const result = await verifyBundle(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`stream ${grantStreamName(grantId)} version 0`);
    expect(result.stderr).toContain('not covered by the manifest\'s seals although it precedes the latest seal');
  });
});
