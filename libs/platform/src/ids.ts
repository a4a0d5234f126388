import { hash, randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

export const ID_GENERATOR = Symbol('ID_GENERATOR');

/** What an id for a command is derived from when the command carries an Idempotency-Key. */
export interface IdempotentCommand {
  actor: { id: string };
  idempotencyKey?: string;
}

export interface IdGenerator {
  next(): string;
  /**
   * The id of a thing a command creates (`purpose` names which, e.g. 'call', 'tranche'). With an
   * Idempotency-Key it is derived from (actor, key, purpose), so a retry of the same command — even
   * one whose first attempt died after its append — names the same stream instead of a new one.
   */
  forCommand(command: IdempotentCommand, purpose: string): string;
}

export class RandomIdGenerator implements IdGenerator {
  next(): string {
    return randomUUID();
  }

  forCommand(command: IdempotentCommand, purpose: string): string {
    return command.idempotencyKey === undefined ? this.next() : nameBasedId(command.actor.id, command.idempotencyKey, purpose);
  }
}

/**
 * A new event's id: an RFC 9562 version 7 UUID, which begins with the time in milliseconds (and
 * counts up within one), so that ids appended one after another land next to each other in the
 * event log's unique event_id index instead of on a random page of it. With random (version 4) ids
 * each append dirtied a random leaf of that index (and, after a checkpoint, wrote its whole page to
 * the WAL): `npm run bench:append`, alternating the two, measured 168–182 µs of PostgreSQL CPU per
 * one-event append with these against 218–227 with random ids. The time it shows is about the event's
 * recordedAt (this server's clock when the event was made, a moment before its append), which every
 * reader of the event sees anyway. A command with an Idempotency-Key keeps
 * its name-based ids (StreamCommandExecutor), so that a retry appends the same ones.
 */
export function newEventId(): string {
  return uuidv7();
}

/** This application's namespace for name-based (RFC 9562 version 5) UUIDs. */
const NAMESPACE = Buffer.from('5b0f3c1e8d6a4c7e9a2b1f0e3d4c5b6a', 'hex');

/** RFC 9562 UUID version 5 of the parts (joined unambiguously) in this application's namespace. */
export function nameBasedId(...parts: string[]): string {
  const name = parts.map((part) => `${part.length}:${part}`).join('');
  // One-shot hashing: a keyed command derives several of these (its entity's id, each event's).
  const digest = hash('sha1', Buffer.concat([NAMESPACE, Buffer.from(name, 'utf8')]), 'buffer');
  digest[6] = (digest[6] & 0x0f) | 0x50;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
