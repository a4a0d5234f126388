import { decodeFeedCursor, encodeFeedCursor, InvalidFeedCursorError } from './feed-cursor';

const cursorOf = (position: string) => Buffer.from(`v1:${position}`, 'utf8').toString('base64url');

describe('feed cursors: only the canonical positions the feed hands out', () => {
  it('accepts the zero-padded positions of both stores', () => {
    const postgres = '00000000000000000812-00000000000000000042';
    const eventStoreDb = '00000000000000001234/00000000000000001230';
    expect(decodeFeedCursor(encodeFeedCursor(postgres))).toBe(postgres);
    expect(decodeFeedCursor(encodeFeedCursor(eventStoreDb))).toBe(eventStoreDb);
  });

  it.each([
    ['without the zero padding', '1-0'],
    ['padded on one side only', '00000000000000000812-42'],
    ['over-padded', '000000000000000000812-00000000000000000042'],
    ['signed', '+0000000000000000812-00000000000000000042'],
    ['with spaces', ' 0000000000000000812-00000000000000000042'],
    ['a single number', '00000000000000000812'],
    ['another separator', '00000000000000000812:00000000000000000042'],
    ['an ESDB-style label', 'C:1234/P:1234'],
    ['empty', ''],
  ])('refuses a position %s', (_, position) => {
    expect(() => decodeFeedCursor(cursorOf(position))).toThrow(InvalidFeedCursorError);
  });
});
