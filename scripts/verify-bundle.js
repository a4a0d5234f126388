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
 * The hashing rules repeat libs/event-store/src/hash-chain/ and libs/application/src/audit/
 * (audit-digest.ts, audit-signing-key.ts): change them together.
 */
'use strict';
const { createHash, createPublicKey, verify } = require('node:crypto');
const { createReadStream, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { createInterface } = require('node:readline');

const GENESIS = '0'.repeat(64);

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
  const manifestFile = args[0].endsWith('.manifest.json') ? args[0] : `${args[0]}.manifest.json`;
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch (error) {
    console.error(`Cannot read the manifest ${manifestFile}: ${error.message}`);
    return 2;
  }
  if (manifest.format !== 'grant-ledger-audit-bundle/1') {
    console.error(`Unknown bundle format ${JSON.stringify(manifest.format)}`);
    return 2;
  }
  // The events file checked is the one named on the command line; given the manifest, the one it
  // names beside it. (Until 2026-12-06 it was always the manifest's name, so a renamed bundle could
  // not be checked, and an untouched copy lying beside it answered for the file named.)
  const eventsFile = args[0].endsWith('.manifest.json') ? join(dirname(manifestFile), manifest.events.file) : args[0];
  if (!Number.isSafeInteger(manifest.events.count) || manifest.events.count < 1) {
    console.error(`The bundle holds no events: nothing to verify (${manifestFile})`);
    return 2;
  }
  const publicKey = createPublicKey(pinnedKeyFile ? readFileSync(pinnedKeyFile, 'utf8') : manifest.publicKey.pem);
  const keyId = createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);

  try {
    // 1. The file as a whole.
    const fileHash = createHash('sha256');
    await new Promise((resolve, reject) =>
      createReadStream(eventsFile).on('data', (chunk) => fileHash.update(chunk)).on('end', resolve).on('error', reject),
    );
    const actualSha = fileHash.digest('hex');
    if (actualSha !== manifest.events.sha256) {
      fail(`${eventsFile} does not match the manifest: sha256 ${actualSha}, manifest says ${manifest.events.sha256} (the file was changed)`);
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
    for (const segment of manifest.segments) {
      const from = segment.fromSeal === null ? { chainHash: GENESIS, eventCount: 0 } : seals.get(segment.fromSeal);
      const to = seals.get(segment.toSeal);
      if (!from || !to) fail(`a seal interval names a seal the manifest does not hold (${segment.fromSeal} → ${segment.toSeal})`);
      if (to.eventCount - from.eventCount !== segment.digests.length) {
        fail(`seal ${to.seq} covers ${to.eventCount - from.eventCount} events after the previous seal, the manifest lists ${segment.digests.length}`);
      }
      let hash = from.chainHash;
      for (const digest of segment.digests) {
        hash = nextGlobalHash(hash, digest);
        sealedDigests.add(digest);
      }
      if (hash !== to.chainHash) fail(`the event digests up to seal ${to.seq} do not fold to its signed hash`);
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

    console.log(
      JSON.stringify(
        {
          ok: true,
          file: eventsFile,
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
