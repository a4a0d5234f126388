/**
 * Public feed cursors: the store's global position wrapped as base64url(`v1:<position>`), so
 * partners never see (or come to depend on) how a store numbers its log — the Postgres store's
 * zero-padded `txid-position` today, EventStoreDB's commit/prepare positions in the other adapter.
 * Only the public layer (public events, the feed, SSE ids) encodes and decodes; webhook fan-out,
 * projections and the audit log keep using raw positions. The `v1` prefix leaves room to change
 * the encoding later while still accepting the cursors partners have saved.
 */
const VERSION_PREFIX = 'v1:';
/**
 * The positions the feed hands out: two integers zero-padded to 20 digits, `-`-separated from the
 * Postgres store (transaction id, position), `/`-separated from EventStoreDB (commit, prepare). The
 * padding is what lets the stream compare positions as strings, so a position without it
 * (`v1:1-0`, which the Postgres store itself would read) was accepted and then compared wrongly:
 * the stream sent nothing after it. Which of the two separators is the store's own is the store's to
 * check (it refuses the other one).
 */
const CANONICAL_POSITION = /^\d{20}[-/]\d{20}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Far longer than any position either store hands out; keeps decoding cheap for junk input. */
const MAX_CURSOR_LENGTH = 200;

export class InvalidFeedCursorError extends Error {
  constructor() {
    // Never echoes the input: it is whatever the caller sent.
    super('`after` (or Last-Event-ID) is not a cursor of this feed');
    this.name = 'InvalidFeedCursorError';
  }
}

export function encodeFeedCursor(position: string): string {
  return Buffer.from(`${VERSION_PREFIX}${position}`, 'utf8').toString('base64url');
}

/**
 * The store position inside a cursor this feed handed out. Anything else — not base64url, not
 * canonical (so one position has exactly one cursor), another version, a position not in the
 * zero-padded form above — throws InvalidFeedCursorError. A well-formed cursor naming a position
 * the store does not know is the store's to refuse; one beyond the log's head is not refused (the
 * store's port cannot tell the head cheaply) and reads as "up to date".
 */
export function decodeFeedCursor(cursor: string): string {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw new InvalidFeedCursorError();
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith(VERSION_PREFIX) || encodeFeedCursor(decoded.slice(VERSION_PREFIX.length)) !== cursor) throw new InvalidFeedCursorError();
  const position = decoded.slice(VERSION_PREFIX.length);
  if (!CANONICAL_POSITION.test(position)) throw new InvalidFeedCursorError();
  return position;
}
