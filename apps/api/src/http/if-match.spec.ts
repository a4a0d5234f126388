import { BadRequestException } from '@nestjs/common';
import { parseIfMatch } from './command-context.decorator';

describe('If-Match', () => {
  it('takes a stream version as the strong ETag an answer carries, or bare', () => {
    expect([parseIfMatch('"3"'), parseIfMatch('3'), parseIfMatch(' "0" '), parseIfMatch('"999999999"')]).toEqual([3, 3, 0, 999_999_999]);
  });

  it('expects nothing when absent, empty or *', () => {
    expect([parseIfMatch(undefined), parseIfMatch(''), parseIfMatch('*')]).toEqual([undefined, undefined, undefined]);
  });

  it('refuses a weak tag, which strong comparison never matches, and anything not one version', () => {
    // The message names the version sent (until 2026-12-07 always W/"3"), and never echoes other text.
    expect(() => parseIfMatch('W/"8"')).toThrow(/weak one \(W\/"8"\) never matches: send the ETag as the answer gave it, e.g. If-Match: "8"/);
    expect(() => parseIfMatch('W/"<script>"')).toThrow(/weak one \(W\/"3"\) never matches/);
    // "01" is not the ETag "1" under strong comparison (until 2026-12-07 it matched version 1).
    for (const header of ['"3', '3"', '"3", "4"', '"-1"', '"1000000000"', 'abc', '""', '"01"', '007'])
      expect([header, (() => { try { parseIfMatch(header); return 'accepted'; } catch (error) { return error instanceof BadRequestException ? 400 : error; } })()]).toEqual([header, 400]);
  });
});
