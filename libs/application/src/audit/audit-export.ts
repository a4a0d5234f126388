import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { EventStore, RecordedEvent } from '@app/event-store';
import { linkTargetOf } from '@app/event-store/hash-chain';
import { callStreamName } from '@app/domain/call';
import { GRANT_STREAM_PREFIX } from '@app/domain/grant';
import { PROPOSAL_STREAM_PREFIX } from '@app/domain/proposal';
import type { AuditDb } from './audit-db';
import { eventDigest, storedEventRecord } from './audit-digest';
import { type AuditSeal, loadSeals } from './audit-seals';
import type { AuditVerificationKey } from './audit-signing-key';

/**
 * Export bundle for external auditors: FILE (JSON Lines, one stored event per line, exactly as the
 * store holds it — personal fields stay ciphertext) and FILE.manifest.json. scripts/verify-bundle.js
 * checks a bundle offline with nothing but Node.
 *
 * A bundle holds whole streams, so their chains are checkable from version 0. Seals fold the whole
 * global log, which a bundle does not carry; instead, for every seal interval that contains an
 * exported event, the manifest lists the digests of all events of that interval (a digest reveals
 * nothing of an event). Folding them from the previous seal's hash must give the next seal's hash,
 * both seals' signatures must verify, and each exported event's digest must be among them: that
 * proves offline that the exported events are exactly those sealed in the log. Events after the
 * latest seal are reported as unsealed (their stream chain is all that vouches for them); the
 * verifier refuses an unsealed event whose position sorts before the latest seal's (positions of
 * both adapters are fixed-width, zero-padded strings). A bundle cannot prove it is fresh: compare
 * its latest seal with the ledger's (/audit/verify) to know nothing was sealed since.
 */
export const AUDIT_BUNDLE_FORMAT = 'grant-ledger-audit-bundle/1';

export type ExportTarget = { stream: string } | { call: string };

export interface BundleSegment {
  /** The seal the interval starts after; null: the start of the log. */
  fromSeal: number | null;
  toSeal: number;
  /** Digest of every event of the interval, in log order. */
  digests: string[];
}

export interface BundleManifest {
  format: typeof AUDIT_BUNDLE_FORMAT;
  createdAt: string;
  subject: ExportTarget;
  events: { file: string; count: number; sha256: string };
  streams: { streamId: string; count: number; lastVersion: number; headHash: string }[];
  seals: AuditSeal[];
  segments: BundleSegment[];
  unsealedEvents: number;
  /** The log's latest seal when exported: events not covered by a seal must all come after it. */
  latestSealSeq: number | null;
  publicKey: { keyId: string; pem: string; devKey: boolean };
  algorithms: Record<string, string>;
}

export interface ExportAuditBundleOptions {
  store: EventStore;
  db: AuditDb;
  key: AuditVerificationKey;
  target: ExportTarget;
  outFile: string;
  now: Date;
  pageSize?: number;
}

export function manifestPathOf(eventsFile: string): string {
  return `${eventsFile}.manifest.json`;
}

/** Streams that belong to a call: the call's own, and every proposal and grant naming it. */
async function streamsOf(store: EventStore, target: ExportTarget, pageSize: number): Promise<Set<string>> {
  if ('stream' in target) return new Set([target.stream]);
  const streams = new Set([callStreamName(target.call)]);
  let after: string | undefined;
  for (;;) {
    const page = await store.readAll({ after, maxCount: pageSize, filter: { streamPrefixes: [PROPOSAL_STREAM_PREFIX, GRANT_STREAM_PREFIX] } });
    for (const event of page) {
      // callId is a plain reference in ProposalDrafted and GrantAwarded, never personal data.
      if ((event.data as { callId?: unknown } | null)?.callId === target.call) streams.add(event.streamId);
      after = event.position;
    }
    if (page.length < pageSize) return streams;
  }
}

export async function exportAuditBundle(options: ExportAuditBundleOptions): Promise<BundleManifest> {
  const { store, db, key, target, outFile } = options;
  const pageSize = options.pageSize ?? 1000;
  const wanted = await streamsOf(store, target, pageSize);
  const seals = (await loadSeals(db)).sort((a, b) => a.eventCount - b.eventCount);

  const out = createWriteStream(outFile);
  const fileHash = createHash('sha256');
  const write = async (line: string) => {
    fileHash.update(line, 'utf8');
    if (!out.write(line)) await once(out, 'drain');
  };
  const streams = new Map<string, { streamId: string; count: number; lastVersion: number; headHash: string }>();
  const segments: BundleSegment[] = [];
  let segmentDigests: string[] = [];
  let segmentWanted = false;
  let sealIndex = 0;
  let count = 0;
  let exported = 0;
  let unsealed = 0;

  let after: string | undefined;
  try {
    for (;;) {
      const page = await store.readAll({ after, maxCount: pageSize });
      for (const event of page) {
        count += 1;
        after = event.position;
        const seal = seals[sealIndex];
        if (seal) segmentDigests.push(eventDigest(event));
        if (wanted.has(event.streamId)) {
          await write(`${JSON.stringify(storedEventRecord(event))}\n`);
          exported += 1;
          track(streams, event);
          if (seal) segmentWanted = true;
          else unsealed += 1;
        }
        if (seal && seal.eventCount === count) {
          if (segmentWanted) segments.push({ fromSeal: seals[sealIndex - 1]?.seq ?? null, toSeal: seal.seq, digests: segmentDigests });
          segmentDigests = [];
          segmentWanted = false;
          sealIndex += 1;
        }
      }
      if (page.length < pageSize) break;
    }
  } finally {
    out.end();
    await once(out, 'close');
  }

  const latestSeal = seals.at(-1);
  const usedSeals = new Set([...segments.flatMap((segment) => [segment.fromSeal, segment.toSeal]), latestSeal?.seq]);
  const manifest: BundleManifest = {
    format: AUDIT_BUNDLE_FORMAT,
    createdAt: options.now.toISOString(),
    subject: target,
    events: { file: basename(outFile), count: exported, sha256: fileHash.digest('hex') },
    streams: [...streams.values()].sort((a, b) => a.streamId.localeCompare(b.streamId)),
    seals: seals.filter((seal) => usedSeals.has(seal.seq)),
    segments,
    unsealedEvents: unsealed,
    latestSealSeq: latestSeal?.seq ?? null,
    publicKey: { keyId: key.keyId, pem: key.publicKeyPem, devKey: key.devKey },
    algorithms: {
      canonicalJson: 'RFC 8785 (JCS) key order and number/string forms',
      chainHash: 'sha256(canonicalJson({streamId, streamVersion, eventId, type, schemaVersion, data, metadata minus chain and recordedAt, prev}))',
      eventDigest: 'sha256(canonicalJson(the JSONL line))',
      globalHash: 'h_0 = 64 zeros; h_n = sha256(bytes(h_{n-1}) || bytes(eventDigest_n))',
      sealSignature: "Ed25519 over 'grant-ledger-audit-seal/v1\\n' + canonicalJson({chainHash, createdAt, eventCount, keyId, position})",
    },
  };
  await writeFile(manifestPathOf(outFile), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function track(streams: Map<string, { streamId: string; count: number; lastVersion: number; headHash: string }>, event: RecordedEvent): void {
  const entry = streams.get(event.streamId) ?? { streamId: event.streamId, count: 0, lastVersion: -1, headHash: '' };
  entry.count += 1;
  entry.lastVersion = event.streamVersion;
  entry.headHash = linkTargetOf(event);
  streams.set(event.streamId, entry);
}
