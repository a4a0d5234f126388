#!/usr/bin/env node
/**
 * Offline verifier for a Grant Ledger audit bundle (npm run audit:export). Plain Node >= 18, no
 * dependencies: copy this file next to the bundle and run
 *
 *   node verify-bundle.js FILE [--public-key KEY.pem]
 *
 * FILE is the events file (JSON Lines; checked under the name given, its manifest FILE.manifest.json
 * beside it) or that manifest (the events file it names, beside it). Exit 0: verified; 1: broken
 * (the first problem is printed); 2: usage or unreadable input.
 *
 * What it checks:
 * 1. The events file hashes to the manifest's sha256 and holds the manifest's count.
 * 2. Every stream's chain, from version 0: consecutive versions, each chain.hash recomputed over the
 *    stored content (ciphertext for personal data), each chain.prev = the previous chain.hash, and
 *    the head hash the manifest names.
 * 3. Seals: for each seal interval in the manifest, the listed event digests fold from the previous
 *    seal's hash (64 zeros at the start of the log) to the next seal's hash, the count matches, both
 *    seals' Ed25519 signatures verify, and every exported event's digest is among them.
 * 4. An event no seal covers must come after the latest seal (else it was changed after sealing).
 * What it cannot check: events after the latest seal (reported as unsealed: only their stream chain
 * vouches for them); that the bundle is fresh (compare its latest seal with the ledger's
 * /audit/verify); and whether the public key is the ledger's — compare its key id with the one you
 * got from the ledger's operator out of band, or pass --public-key to pin it.
 *
 * An interrupted export. audit:export writes each file to a temporary file beside it
 * (`.<name>.<pid>-<8 hex>.tmp`) and renames the events file into place first, the manifest last. Killed
 * between the two renames (kill -9, power loss), it leaves the new events file beside the previous
 * manifest (or none, on a first export) and the new manifest, complete, as
 * `.FILE.manifest.json.<pid>-<8 hex>.tmp`. When the events file does not match its manifest (or there
 * is none), such a temporary manifest beside it that names this events file and holds its sha256 is
 * taken as the bundle's manifest: one line on stderr says so, and every check above runs against it
 * (so it is worth no more than a manifest put in its place: its seals must verify). Exit 0 then: the
 * bundle verifies against it, and re-running the export (or renaming that file to FILE.manifest.json)
 * completes it; the summary's `interruptedExport` names the file (null otherwise). Exit 1: broken
 * against it too. With no such file, a mismatch is reported as a changed file (exit 1).
 *
 * The hashing rules repeat libs/event-store/src/hash-chain/ and libs/application/src/audit/
 * (audit-digest.ts, audit-signing-key.ts): change them together.
 */
'use strict';
const { createHash, createPublicKey, verify } = require('node:crypto');
const { createReadStream, readdirSync, readFileSync, statSync } = require('node:fs');
const { basename, dirname, join } = require('node:path');
const { createInterface } = require('node:readline');

const GENESIS = '0'.repeat(64);
const BUNDLE_FORMAT = 'grant-ledger-audit-bundle/1';
const MANIFEST_SUFFIX = '.manifest.json';

/**
 * Canonical JSON, RFC 8785 (JCS): a copy of libs/event-store/src/hash-chain/canonical-json.ts
 * (without its pre-serialised-text shortcut and key cache), because this file runs with no project
 * code and no node_modules. canonical-json.spec.ts proves the two agree byte for byte.
 */
function canonicalJson(value) {
  const text = writeCanonical(value, '');
  return text === undefined ? 'null' : text;
}
function writeCanonical(input, key) {
  let value = input;
  if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') value = value.toJSON(key);
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value); // throws, as JSON.stringify does
    case 'object':
      break;
    default:
      return undefined; // undefined, function, symbol
  }
  if (value === null) return 'null';
  if (value instanceof Number || value instanceof String || value instanceof Boolean) return writeCanonical(value.valueOf(), key);
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ',';
      const item = writeCanonical(value[i], String(i));
      text += item === undefined ? 'null' : item;
    }
    return `${text}]`;
  }
  let text = '{';
  let first = true;
  for (const name of Object.keys(value).sort()) {
    const item = writeCanonical(value[name], name);
    if (item === undefined) continue;
    text += `${first ? '' : ','}${JSON.stringify(name)}:${item}`;
    first = false;
  }
  return `${text}}`;
}
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

function chainHashOf(event, prev) {
  const { chain: _chain, recordedAt: _recordedAt, ...metadata } = event.metadata;
  const { streamId, streamVersion, eventId, type, schemaVersion, data } = event;
  return sha256(canonicalJson({ streamId, streamVersion, eventId, type, schemaVersion, data, metadata, prev }));
}
const nextGlobalHash = (previous, digest) =>
  createHash('sha256').update(Buffer.from(previous, 'hex')).update(Buffer.from(digest, 'hex')).digest('hex');
const sealPayload = ({ position, eventCount, chainHash, createdAt, keyId }) =>
  `grant-ledger-audit-seal/v1\n${canonicalJson({ position, eventCount, chainHash, createdAt, keyId })}`;

function sha256OfFile(file) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** Enough of a manifest's shape for the checks to run on it (they decide whether it is right). */
const isManifest = (m) =>
  m !== null &&
  typeof m === 'object' &&
  m.format === BUNDLE_FORMAT &&
  m.events !== null &&
  typeof m.events === 'object' &&
  typeof m.events.file === 'string' &&
  typeof m.events.sha256 === 'string' &&
  Number.isSafeInteger(m.events.count) &&
  Array.isArray(m.streams) &&
  Array.isArray(m.seals) &&
  Array.isArray(m.segments) &&
  Number.isSafeInteger(m.unsealedEvents) &&
  'latestSealSeq' in m &&
  m.publicKey !== null &&
  typeof m.publicKey === 'object' &&
  typeof m.publicKey.pem === 'string';

/**
 * The manifest an interrupted export left for this events file: audit:export (audit-export.ts,
 * tempPathOf) writes the manifest to `.<manifest's name>.<pid>-<8 hex>.tmp` beside it, complete and
 * flushed, before it renames the events file into place, and renames the manifest last; killed in
 * between, the new events file lies beside the previous manifest (or none) and that temporary file.
 * Taken: one of that name and the manifest's shape that names this events file and holds the sha256
 * it has (the most recently written, if several do). Returns { path, manifest } or undefined.
 *
 * Security: it is only a candidate. Every check still runs against it — chains, heads, counts, and
 * the seals and their Ed25519 signatures — as against a manifest in place; the manifest is not signed
 * (the seals are), so whoever could write a matching temporary file could as well have replaced the
 * manifest itself, and gains nothing by this.
 */
function unfinishedManifestFor(manifestFile, eventsName, sha) {
  const dir = dirname(manifestFile);
  const prefix = `.${basename(manifestFile)}.`;
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  const found = [];
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !/^\d+-[0-9a-f]{8}\.tmp$/.test(entry.slice(prefix.length))) continue;
    const path = join(dir, entry);
    let manifest;
    let writtenAt;
    try {
      manifest = JSON.parse(readFileSync(path, 'utf8'));
      writtenAt = statSync(path).mtimeMs;
    } catch {
      continue; // gone meanwhile, unreadable, or not JSON: not a manifest
    }
    if (isManifest(manifest) && manifest.events.file === eventsName && manifest.events.sha256 === sha) found.push({ path, manifest, writtenAt });
  }
  found.sort((a, b) => b.writtenAt - a.writtenAt || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return found[0] && { path: found[0].path, manifest: found[0].manifest };
}

class BundleBroken extends Error {}
const fail = (message) => {
  throw new BundleBroken(message);
};

async function main(argv) {
  const args = argv.slice(2);
  const keyFlag = args.indexOf('--public-key');
  const pinnedKeyFile = keyFlag >= 0 ? args.splice(keyFlag, 2)[1] : undefined;
  if (args.length !== 1 || !args[0] || args[0].startsWith('--')) {
    console.error('Usage: node verify-bundle.js FILE [--public-key KEY.pem]');
    return 2;
  }
  const givenManifest = args[0].endsWith(MANIFEST_SUFFIX);
  const manifestFile = givenManifest ? args[0] : `${args[0]}${MANIFEST_SUFFIX}`;
  let manifest;
  let unreadable;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch (error) {
    unreadable = `Cannot read the manifest ${manifestFile}: ${error.message}`;
    // Missing: maybe a first export interrupted before its manifest was put in place (below).
    if (error.code !== 'ENOENT') {
      console.error(unreadable);
      return 2;
    }
  }
  if (manifest && manifest.format !== BUNDLE_FORMAT) {
    console.error(`Unknown bundle format ${JSON.stringify(manifest.format)}`);
    return 2;
  }
  // The events file checked is the one named on the command line; given the manifest, the one it
  // names beside it (the one the export wrote beside it, if it is missing). (Until 2026-12-06 it was
  // always the manifest's name, so a renamed bundle could not be checked, and an untouched copy lying
  // beside it answered for the file named.)
  const eventsFile = !givenManifest
    ? args[0]
    : join(dirname(manifestFile), manifest ? manifest.events.file : basename(manifestFile).slice(0, -MANIFEST_SUFFIX.length));
  const holdsNoEvents = (m) => !Number.isSafeInteger(m.events.count) || m.events.count < 1;
  if (manifest && holdsNoEvents(manifest)) {
    console.error(`The bundle holds no events: nothing to verify (${manifestFile})`);
    return 2;
  }
  const keyOf = (m) => {
    const publicKey = createPublicKey(pinnedKeyFile ? readFileSync(pinnedKeyFile, 'utf8') : m.publicKey.pem);
    return { publicKey, keyId: createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16) };
  };
  let { publicKey, keyId } = manifest ? keyOf(manifest) : {};

  // Set when the bundle is checked against the manifest an interrupted export left (see the top).
  let interruptedExport = null;
  let notice;
  try {
    // 1. The file as a whole.
    let actualSha;
    try {
      actualSha = await sha256OfFile(eventsFile);
    } catch (error) {
      if (manifest) throw error;
      console.error(unreadable);
      return 2;
    }
    if (!manifest || actualSha !== manifest.events.sha256) {
      const unfinished = unfinishedManifestFor(manifestFile, basename(eventsFile), actualSha);
      if (unfinished) {
        manifest = unfinished.manifest;
        interruptedExport = unfinished.path;
        notice =
          `${eventsFile} was written by an export that was interrupted before its manifest was put in place: ` +
          `it is checked against that export's unfinished manifest ${interruptedExport}`;
        if (holdsNoEvents(manifest)) {
          console.error(`${notice}.`);
          console.error(`The bundle holds no events: nothing to verify (${interruptedExport})`);
          return 2;
        }
        ({ publicKey, keyId } = keyOf(manifest));
      } else if (!manifest) {
        console.error(unreadable);
        return 2;
      } else {
        fail(`${eventsFile} does not match the manifest: sha256 ${actualSha}, manifest says ${manifest.events.sha256} (the file was changed)`);
      }
    }

    // 3a. Seal intervals, so each event's digest can be looked up as the events stream past.
    const seals = new Map(manifest.seals.map((seal) => [seal.seq, seal]));
    const sealedDigests = new Set();
    for (const seal of manifest.seals) {
      if (seal.keyId !== keyId) fail(`seal ${seal.seq} names key ${seal.keyId}, but the public key is ${keyId}`);
      if (!verify(null, Buffer.from(sealPayload(seal), 'utf8'), publicKey, Buffer.from(seal.signature, 'base64'))) {
        fail(`seal ${seal.seq}: the Ed25519 signature does not verify`);
      }
    }
    // A log changed before the export (an event altered, deleted or inserted before a seal) gives a
    // manifest whose digests no longer fold to the seals. That is reported only after the events
    // themselves were checked (below): an exported event that no longer hashes to its link, or a
    // stream with a version missing, names where the log was changed; the seal says only before which
    // seal. (Until 2026-12-07 the seal was reported first, and a deletion before a seal made the
    // export leave that seal's interval out, so an untouched event was reported as changed.)
    let sealBreak;
    for (const segment of manifest.segments) {
      const from = segment.fromSeal === null ? { chainHash: GENESIS, eventCount: 0 } : seals.get(segment.fromSeal);
      const to = seals.get(segment.toSeal);
      if (!from || !to) fail(`a seal interval names a seal the manifest does not hold (${segment.fromSeal} → ${segment.toSeal})`);
      const covered = to.eventCount - from.eventCount;
      let hash = from.chainHash;
      for (const digest of segment.digests) {
        hash = nextGlobalHash(hash, digest);
        sealedDigests.add(digest);
      }
      if (sealBreak) continue;
      if (covered !== segment.digests.length) {
        sealBreak =
          `seal ${to.seq} covers ${covered} events of the log after ${from.eventCount === 0 ? 'its start' : `seal ${from.seq}`}, the manifest lists ${segment.digests.length}: ` +
          `${segment.digests.length < covered ? `${covered - segment.digests.length} event(s) of the log were deleted` : `${segment.digests.length - covered} event(s) were inserted into the log`} ` +
          `before the seal's position ${to.position} after it was sealed, before this export (npm run audit:verify on the log names where)`;
      } else if (hash !== to.chainHash) {
        sealBreak =
          `the event digests up to seal ${to.seq} do not fold to its signed hash: an event of the log between ${from.eventCount === 0 ? 'its start' : `seal ${from.seq}`} and seal ${to.seq} ` +
          `(position ${to.position}) was changed after it was sealed, before this export; no exported event is (npm run audit:verify on the log names which)`;
      }
    }

    const latestSeal = manifest.latestSealSeq === null ? undefined : seals.get(manifest.latestSealSeq);
    if (manifest.latestSealSeq !== null && !latestSeal) fail(`the manifest names latest seal ${manifest.latestSealSeq} but does not hold it`);

    // 2 and 3b. Event by event.
    const streams = new Map();
    let count = 0;
    let sealed = 0;
    let lineNumber = 0;
    const lines = createInterface({ input: createReadStream(eventsFile, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      lineNumber += 1;
      if (line === '') continue;
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        fail(`line ${lineNumber} is not JSON`);
      }
      const where = `line ${lineNumber} (stream ${event.streamId} version ${event.streamVersion}, position ${event.position}, event ${event.eventId})`;
      const head = streams.get(event.streamId) || { version: -1, hash: GENESIS, count: 0 };
      if (event.streamVersion !== head.version + 1) fail(`${where}: expected version ${head.version + 1} of the stream`);
      const chain = event.metadata && event.metadata.chain;
      if (!chain || typeof chain.hash !== 'string') fail(`${where}: no chain link`);
      if (chainHashOf(event, chain.prev) !== chain.hash) fail(`${where}: altered — the event does not hash to its chain.hash`);
      if (chain.prev !== head.hash) fail(`${where}: chain.prev does not match the previous event of the stream`);
      streams.set(event.streamId, { version: event.streamVersion, hash: chain.hash, count: head.count + 1 });
      const digest = sha256(canonicalJson(event));
      if (sealedDigests.has(digest)) sealed += 1;
      // Positions are fixed-width zero-padded strings: they sort as the log does.
      else if (latestSeal && !(event.position > latestSeal.position)) {
        fail(`${where}: not covered by the manifest's seals although it precedes the latest seal ${latestSeal.seq}: it was changed after it was sealed`);
      }
      count += 1;
    }
    if (sealBreak) fail(sealBreak);
    if (count !== manifest.events.count) fail(`the events file holds ${count} events, the manifest says ${manifest.events.count}`);
    for (const stream of manifest.streams) {
      const head = streams.get(stream.streamId);
      if (!head) fail(`stream ${stream.streamId} is in the manifest but not in the events file`);
      if (head.hash !== stream.headHash || head.version !== stream.lastVersion || head.count !== stream.count) {
        fail(`stream ${stream.streamId}: head (version ${head.version}, hash ${head.hash}) differs from the manifest's`);
      }
    }
    if (streams.size !== manifest.streams.length) fail('the events file holds streams the manifest does not list');
    if (count - sealed !== manifest.unsealedEvents) {
      fail(`${count - sealed} exported events are not covered by the manifest's seals, the manifest says ${manifest.unsealedEvents}: a sealed event was changed or the seals do not belong to this log`);
    }

    if (notice) {
      console.error(`${notice}; re-running the export (or renaming that file to ${manifestFile}) completes the bundle.`);
      notice = undefined;
    }
    console.log(
      JSON.stringify(
        {
          ok: true,
          file: eventsFile,
          interruptedExport,
          events: count,
          streams: streams.size,
          sealedEvents: sealed,
          unsealedEvents: count - sealed,
          sealsVerified: manifest.seals.length,
          latestSeal: latestSeal ? { seq: latestSeal.seq, position: latestSeal.position, eventCount: latestSeal.eventCount, createdAt: latestSeal.createdAt } : null,
          keyId,
          pinnedKey: Boolean(pinnedKeyFile),
          devKey: Boolean(manifest.publicKey.devKey),
        },
        null,
        2,
      ),
    );
    return 0;
  } catch (error) {
    // Against the unfinished manifest too, a failure is the bundle's: no remedy to offer.
    if (notice) console.error(`${notice}.`);
    if (!(error instanceof BundleBroken)) throw error;
    console.error(`BUNDLE BROKEN: ${error.message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(`Cannot verify: ${error && error.message ? error.message : String(error)}`);
      process.exitCode = 2;
    },
  );
}

// For the project's own tests (canonical-json.spec.ts): nothing runs when the file is required.
module.exports = { canonicalJson };
