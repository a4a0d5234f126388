import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaRegistry } from '../event-store.module';
import { SchemaRegistry } from '../event-codec';
import { callEventSchemaVersions } from '@app/domain/call';
import { deciderSnapshotIdentities, SNAPSHOTTED_DECIDERS } from './decider-snapshots';

/**
 * The source files of each snapshotted decider's folder and of the domain's shared folder (spec
 * files aside), as they were when
 * its snapshot version was last chosen. A snapshot's fingerprint covers `evolve` itself but not the
 * helpers it calls; when this test fails, a decider's code changed: if what its state holds, or how
 * an event changes it, changed, bump its version in SNAPSHOTTED_DECIDERS (stored snapshots of the
 * old version are then never read); either way record the new hash here.
 */
const RECORDED: Record<string, { version: number; sources: string }> = {
  call: { version: 1, sources: '081eb5908117a6b2' },
  grant: { version: 3, sources: '6461735a6a545cc0' },
  organisation: { version: 1, sources: '65ecafdc5292e68b' },
  proposal: { version: 2, sources: 'a67efac11ad096e6' },
  recipient: { version: 1, sources: '83697079f1e08d5f' },
};

const domainFolder = join(__dirname, '..', '..', '..', 'domain', 'src');

/** The decider's folder and the domain's shared folder (evolveMany and the helpers deciders share), spec files aside. */
function sourcesHash(name: string): string {
  const hash = createHash('sha256');
  for (const folder of [join(domainFolder, name), join(domainFolder, 'shared')]) {
    const files = readdirSync(folder)
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
      .sort();
    for (const file of files) hash.update(`${folder.slice(domainFolder.length)}/${file}\n`).update(readFileSync(join(folder, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

describe('decider snapshots', () => {
  it.each(Object.keys(SNAPSHOTTED_DECIDERS))('%s: its sources are those its snapshot version was chosen for', (name) => {
    const recorded = RECORDED[name];
    const current = { version: SNAPSHOTTED_DECIDERS[name].version, sources: sourcesHash(name) };
    if (recorded?.version !== current.version || recorded.sources !== current.sources) {
      throw new Error(
        `libs/domain/src/${name} changed since its snapshot version was chosen: bump SNAPSHOTTED_DECIDERS.${name}.version if its state or evolve changed, ` +
          `then record ${JSON.stringify(current)} in RECORDED (decider-snapshots.spec.ts)`,
      );
    }
  });

  it('every decider snapshots under a name of its own, with a fingerprint that follows the event schema versions', () => {
    const identities = [...deciderSnapshotIdentities(schemaRegistry()).values()];
    expect(identities.map((identity) => identity.name).sort()).toEqual(Object.keys(SNAPSHOTTED_DECIDERS).sort());
    // The decider's snapshot version first: a bumped version never reads a snapshot of the one before.
    for (const identity of identities) expect([identity.name, new RegExp(`^v${SNAPSHOTTED_DECIDERS[identity.name].version}\\.[\\w-]{22}$`).test(identity.fingerprint)]).toEqual([identity.name, true]);
    // The same code and schemas: the same fingerprints (another process, a restart).
    expect([...deciderSnapshotIdentities(schemaRegistry()).values()]).toEqual(identities);
    // Other schema versions (an upcaster added, a type at a new version): no fingerprint kept.
    const other = [...deciderSnapshotIdentities(new SchemaRegistry().register(callEventSchemaVersions)).values()];
    for (const [index, identity] of other.entries()) expect(identity.fingerprint).not.toBe(identities[index].fingerprint);
  });
});
