import { hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BadRequestException, type CanActivate, type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import canonicalize from 'canonicalize';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';
import { describeError } from '../database/transient-errors';
import type { AnswerSlot } from './answer-slot';
import { APP_CONFIG, type AppConfig, piiMasterKeyFromEnv } from '../config/app-config';
import { IdempotencyKeyReused } from './idempotency-key-reused.error';
import { requestTag, requestTagKey } from './request-tag';
import { isObservable, lastValueFrom } from 'rxjs';

const MAX_KEY_LENGTH = 255;

/** Named (prepared once per connection) statements on the pool: two of them on every keyed command. */
const FIND_ANSWER = { name: 'grant_ledger_find_idempotent_answer', text: 'SELECT request_hash, status, response FROM idempotency_keys WHERE scope = $1 AND key = $2' };
const REMEMBER_ANSWER = {
  name: 'grant_ledger_remember_idempotent_answer',
  text: `INSERT INTO idempotency_keys (scope, key, request_hash, state, status, response) VALUES ($1, $2, $3, 'done', $4, $5)
         ON CONFLICT (scope, key) DO NOTHING`,
};
/** Puts right an answer the command's append remembered that is not what the route answered. */
const CORRECT_ANSWER = {
  name: 'grant_ledger_correct_idempotent_answer',
  text: `INSERT INTO idempotency_keys (scope, key, request_hash, state, status, response) VALUES ($1, $2, $3, 'done', $4, $5)
         ON CONFLICT (scope, key) DO UPDATE SET status = EXCLUDED.status, response = EXCLUDED.response
         WHERE idempotency_keys.request_hash = EXCLUDED.request_hash`,
};

interface StoredAnswer {
  request_hash: string;
  status: number;
  response: unknown;
}

type KeyedRequest = Request & { actor?: { id: string } };

/**
 * Set on a route handler by IdempotencyKeyHandling({ answeredByCommand }): whether that route's
 * commands remember its answer with their events, so that the key need not be looked up first.
 */
export const ANSWERED_BY_COMMAND_METADATA = 'grant-ledger:idempotency-answered-by-command';

/** Whether a handler's key is looked up only when its command cannot settle it (read once per handler). */
const lookedUpLate = new WeakMap<object, boolean>();

function looksUpLate(handler: object): boolean {
  let late = lookedUpLate.get(handler);
  if (late === undefined) {
    const predicate = Reflect.getOwnMetadata(ANSWERED_BY_COMMAND_METADATA, handler) as ((handler: object) => boolean) | undefined;
    late = predicate?.(handler) === true;
    lookedUpLate.set(handler, late);
  }
  return late;
}

/**
 * The key is this request's after all: an earlier attempt of it stored its answer. Thrown by
 * KeyedCommand.verify into the command, caught by KeyedCommand.answer, which replays that answer.
 */
class AnsweredBefore extends Error {
  constructor() {
    super('This request was answered before; its answer is replayed');
    this.name = 'AnsweredBefore';
  }
}

/**
 * What the guard found for each keyed request, for its handler (the command's context, then the
 * wrapper, idempotent-handler.ts, which takes it out); nothing for any other request. Keyed by the
 * request object, so nothing is shared between requests or between apps in one process. A WeakMap
 * rather than a property on the request: a miss costs ~0.1 µs, where a property missing on an
 * Express request is looked for along its prototype chain (~0.6 µs, measured on this machine) on
 * every request without a key.
 *
 * Taken out by the wrapper, and holding nothing of the request or its response until then (the
 * wrapper hands the response over as it takes it): V8's young-generation collector keeps a WeakMap
 * entry's value alive whatever becomes of its key (only a full collection weighs the key), so an
 * entry left in place whose value led to the response kept the whole request (socket buffers,
 * headers, body, DTOs) alive through every scavenge until the next full collection.
 */
const keyedCommands = new WeakMap<object, KeyedCommand>();

/** The keyed command the guard let through on this request, if any (still there for the wrapper). */
export function keyedCommandOf(request: object | undefined): KeyedCommand | undefined {
  return request === undefined ? undefined : keyedCommands.get(request);
}

/**
 * Takes out the keyed command the guard let through on this request, if any, and hands it the
 * response it answers on: the handler's wrapper, once per request.
 */
export function takeKeyedCommand(request: object | undefined, response: Response | undefined): KeyedCommand | undefined {
  if (request === undefined) return undefined;
  const keyed = keyedCommands.get(request);
  if (keyed === undefined) return undefined;
  keyedCommands.delete(request);
  if (response === undefined) throw new Error('A keyed request reached its handler without its response');
  keyed.answersOn(response);
  return keyed;
}

/**
 * A request's `Idempotency-Key`, or undefined when it sends none; 400 when it sends one that cannot
 * be taken as it is: empty (or only spaces, which the HTTP parser trims away), sent twice (Node joins
 * the two as "a, b", a key neither line sent; even twice the same key is refused, rather than
 * guessed at), or longer than MAX_KEY_LENGTH. A client that meant to send a key must never see its
 * command run as unkeyed, nor under a key it did not send. Read where the key is taken: the guard
 * below on keyed routes, before the pipes, and the command context, for any other command route.
 */
export function idempotencyKeyOf(request: Pick<IncomingMessage, 'headers' | 'headersDistinct'>): string | undefined {
  // As request.header() answers, without its lower-casing and look-up on Express's prototype (~1 µs).
  const key = request.headers['idempotency-key'] as string | undefined;
  if (key === undefined) return undefined;
  if (key.trim() === '') throw new BadRequestException('Idempotency-Key is empty: send a key, or no Idempotency-Key header');
  // Only a key with a comma may be two joined; headersDistinct is built from rawHeaders on first use.
  if (key.includes(',') && (request.headersDistinct['idempotency-key']?.length ?? 0) > 1) {
    throw new BadRequestException('Idempotency-Key is sent more than once: send one Idempotency-Key header');
  }
  if (key.length > MAX_KEY_LENGTH) throw new BadRequestException(`Idempotency-Key is longer than ${MAX_KEY_LENGTH} characters`);
  return key;
}

/**
 * `Idempotency-Key` on commands (draft-ietf-httpapi-idempotency-key-header), scoped by actor.
 *
 * What makes a command run once lives in the log, not here: a keyed command's events carry the key
 * and ids derived from it, so "it ran" commits in the very statement that appends its effect, and a
 * retry finds it there (StreamCommandExecutor), whatever happened in between — a crash after the
 * append, a lost answer, a database blip. Nothing is claimed before the command runs, so no key can
 * be left stuck "in progress".
 *
 * This table only remembers answers, to replay them cheaply (status and body, with
 * `Idempotent-Replayed: true`) and to refuse a key reused for a different request (422). It is
 * written after success; if that write fails, the answer is still sent, and a retry is answered
 * from the log instead. Failed requests are not remembered: a corrected request may reuse its key.
 * On a route whose answer is the command's `{ id, version }`, the command's append may write it
 * with its events, in the same transaction (KeyedCommand.slot, AppendOptions.answer: PostgreSQL
 * does); the wrapper then writes nothing more, unless the route answered something else after all,
 * which it puts right and logs.
 *
 * Two halves, bound together by `IdempotencyKeyHandling()` (idempotent-handler.ts), with no Nest
 * interceptor: Nest runs a route's interceptors through rxjs (observables, `defer`, `mergeAll`,
 * `lastValueFrom`) on every request as soon as it has one, key or not — ~35-50 µs of a command's
 * CPU (issue 11). This guard runs after the global guards (the actor is known) and before the
 * pipes, where the interceptor ran: a request without a key (or a GET/HEAD) costs it one header
 * read and a synchronous `true`. For a keyed one it refuses a key it cannot take (empty, sent
 * twice or over-long: 400, idempotencyKeyOf), hashes the request as sent, and records it for the
 * request (keyedCommandOf). On most routes it also looks
 * the key up and refuses a key reused for another request (422); on a route whose commands
 * remember its answer with their events it leaves that to the command (KeyedCommand tells how).
 * The handler's wrapper then either replays the stored answer (after Nest has set the route's
 * status, which the stored one replaces) without running the command, or runs it and remembers its
 * answer with the status the response then has (`@HttpCode`, 201 for a POST, or what the handler set).
 */
@Injectable()
export class IdempotencyKeyGuard implements CanActivate {
  private readonly logger = new Logger('Idempotency');
  private readonly tagKey: Buffer;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.tagKey = requestTagKey(config.piiMasterKey ?? piiMasterKeyFromEnv());
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<KeyedRequest>();
    if (request.method === 'GET' || request.method === 'HEAD') return true;
    const key = idempotencyKeyOf(request);
    if (key === undefined) return true;
    const scope = request.actor?.id ?? 'anonymous';
    // One-shot hashing (no Hash object and its stream machinery to build for every keyed request).
    // What makes two requests the same: the URL with its ids lower-cased (request.url, as the UUID
    // middleware rewrote it; originalUrl keeps the client's case) and the body as canonical JSON
    // (RFC 8785: members in one order), so a retry that differs only there is the same request.
    const requestHash = hash('sha256', `${request.method} ${request.url}\n${request.header('if-match') ?? ''}\n${canonicalize(request.body ?? null)}`, 'hex');
    const keyed = new KeyedCommand(pgPoolOf(this.dataSource), this.logger, scope, key, requestHash, requestTag(this.tagKey, requestHash));
    keyedCommands.set(request, keyed);
    return looksUpLate(context.getHandler()) ? true : keyed.lookUpFirst();
  }
}

/**
 * A keyed request that passed the guard: what its key holds (looked up before the command, or only
 * when needed) and what remembering a new answer takes.
 *
 * Looked up first (lookUpFirst), on most routes: a stored answer is replayed without running the
 * command, and a key holding another request's answer is refused (422) before the pipes.
 *
 * Looked up late, on a route whose answer is its command's `{ id, version }` (IdempotencyKeyHandling's
 * `answeredByCommand`): the command runs at once with the slot (a new key, the common case, costs
 * no look-up, issue 11), and the key is looked up only if the command cannot settle it itself:
 * - its append carries the answer; PostgreSQL refuses it when the key holds one already
 *   (IdempotencyKeyTakenError), and nothing is appended;
 * - any other effect waits for `verify` first (the executor awaits CommandContext.verifyKey before an
 *   append that does not carry the answer, e.g. on EventStoreDB or on another stream, and before it
 *   answers a keyed command without having remembered its answer: replayed from the log, a no-op);
 * - whatever the command then throws, or answers without remembering, is weighed against the key:
 *   another request's answer is a 422, this request's own is replayed.
 * A reused key with a body that fails validation is then answered 400 (the pipes run first), not
 * 422: either way nothing runs.
 */
export class KeyedCommand {
  /**
   * Where the command may remember its answer with its effect (AnswerSlot), if it has none yet.
   * Its status is the response's when the command appends (Nest sets the route's before the handler).
   */
  readonly slot: AnswerSlot | undefined;
  /** The key's stored answer (undefined: none), once looked up. */
  private stored: Promise<StoredAnswer | undefined> | undefined;
  /** Set by the guard's look-up before the command: what the key held then. */
  private first: { previous: StoredAnswer | undefined } | undefined;
  private readonly verifyKey = () => this.verifyUnanswered();
  /** The response it answers on: handed over by the handler's wrapper (takeKeyedCommand), not kept from the guard. */
  private response!: Response;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly scope: string,
    private readonly key: string,
    /** SHA-256 of the request: only to recognise this request in a row stored before tags. */
    private readonly requestHash: string,
    /** The request's tag, recorded with the key on the command's events and in its answer's row (request-tag.ts). */
    readonly requestTag: string,
  ) {
    // What the key's row stores of the request is its tag, not its hash (request-tag.ts): a plain
    // hash of a body would let anyone reading the table confirm a guessed body (an e-mail address).
    this.slot = new ResponseAnswerSlot(scope, key, requestTag, this);
  }

  /** The response this request is answered on (takeKeyedCommand), before the handler runs. */
  answersOn(response: Response): void {
    this.response = response;
  }

  /** The response's status now (ResponseAnswerSlot). */
  get status(): number {
    return this.response.statusCode;
  }

  /** Set when the key was not looked up first: see CommandContext.verifyKey. */
  get verify(): (() => Promise<void>) | undefined {
    return this.first ? undefined : this.verifyKey;
  }

  /** The guard's look-up before the command: refuses a key that answers another request (422). */
  async lookUpFirst(): Promise<true> {
    const previous = await this.lookUp();
    if (previous && !this.isThisRequest(previous.request_hash)) throw new IdempotencyKeyReused();
    this.first = { previous };
    return true;
  }

  /** The stored answer replayed, or `run`'s answer (the command), remembered after it succeeded. */
  async answer(run: () => unknown): Promise<unknown> {
    if (this.first?.previous) return this.replay(this.first.previous);
    let result: unknown;
    try {
      result = await run();
      // What Nest would send for an Observable is what it emits last: that is the answer to remember.
      if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
    } catch (error) {
      return this.answerInstead(error);
    }
    const { response } = this;
    const remembered = this.slot?.remembered;
    if (remembered && response.statusCode === remembered.status && isCommandResult(result, remembered)) return result;
    if (remembered) {
      this.logger.error({ msg: 'a route offered its answer to its command but answered otherwise; the remembered answer is put right', status: response.statusCode });
    } else if (!this.first) {
      // Not remembered with the events (no executor, or one that verified the key before answering):
      // the key must still hold no other answer before this one is remembered.
      const stored = await this.lookUp().catch(() => undefined);
      if (stored) return this.replayOrRefuse(stored);
    }
    try {
      const statement = remembered ? CORRECT_ANSWER : REMEMBER_ANSWER;
      await this.pool.query({ ...statement, values: [this.scope, this.key, this.requestTag, response.statusCode, JSON.stringify(result ?? null)] });
    } catch (error) {
      // The command's effect and its key are in the log already; a retry is answered from there.
      this.logger.warn({ msg: 'could not remember an idempotent answer; a retry will be answered from the log', error: describeError(error) });
    }
    return result;
  }

  /**
   * A command that failed on a key not looked up first: the failure may be the key's (it answers
   * another request: 422; or this one, before: replayed), which a look-up tells; otherwise it stands.
   */
  private async answerInstead(error: unknown): Promise<unknown> {
    if (this.first || this.slot?.remembered) throw error;
    let stored: StoredAnswer | undefined;
    try {
      stored = await this.lookUp();
    } catch {
      throw error; // the store is out of reach: the command's own failure says so
    }
    if (!stored) throw error;
    return this.replayOrRefuse(stored);
  }

  private replayOrRefuse(stored: StoredAnswer): unknown {
    if (!this.isThisRequest(stored.request_hash)) throw new IdempotencyKeyReused();
    return this.replay(stored);
  }

  private replay(stored: StoredAnswer): unknown {
    this.response.status(stored.status);
    this.response.setHeader('Idempotent-Replayed', 'true');
    return stored.response;
  }

  /** See CommandContext.verifyKey. */
  private async verifyUnanswered(): Promise<void> {
    // Looked up first, or the command's own answer is stored with its effect: the key is this request's.
    if (this.first || this.slot?.remembered) return;
    const stored = await this.lookUp();
    if (stored) throw this.isThisRequest(stored.request_hash) ? new AnsweredBefore() : new IdempotencyKeyReused();
  }

  /** Whether a stored answer's request is this one: by its tag, or by its plain hash in rows stored before tags. */
  private isThisRequest(stored: string): boolean {
    return stored === this.requestTag || stored === this.requestHash;
  }

  /** The key's stored answer, looked up once per request (a failed look-up may be tried again). */
  private lookUp(): Promise<StoredAnswer | undefined> {
    this.stored ??= this.pool.query<StoredAnswer>({ ...FIND_ANSWER, values: [this.scope, this.key] }).then(
      ({ rows }) => rows[0],
      (error: unknown) => {
        this.stored = undefined;
        throw error;
      },
    );
    return this.stored;
  }
}

/**
 * A keyed command's answer slot, whose status is the response's when the command reads it.
 *
 * A class, for its getter on the prototype: an object literal with a getter (`{ get status() { … } }`)
 * gives each object its own getter pair, which V8 allocates in the old generation, and its closure
 * then held the response, and through it the whole request (socket buffers, headers, body, DTOs),
 * through every young-generation collection until the next full one.
 */
class ResponseAnswerSlot implements AnswerSlot {
  remembered?: { id: string; version: number; status: number };

  constructor(
    readonly scope: string,
    readonly key: string,
    readonly requestHash: string,
    private readonly keyed: { readonly status: number },
  ) {}

  get status(): number {
    return this.keyed.status;
  }
}

/** Whether an answer is exactly `{ id, version }` as remembered (the JSON the route sends). */
function isCommandResult(result: unknown, remembered: { id: string; version: number }): boolean {
  if (typeof result !== 'object' || result === null || Object.getPrototypeOf(result) !== Object.prototype) return false;
  const keys = Object.keys(result);
  const { id, version } = result as { id?: unknown; version?: unknown };
  return keys.length === 2 && keys[0] === 'id' && keys[1] === 'version' && id === remembered.id && version === remembered.version;
}
