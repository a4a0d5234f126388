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
    expect(() => parseIfMatch('W/"1"')).toThrow(/weak one \(W\/"3"\) never matches/);
    for (const header of ['"3', '3"', '"3", "4"', '"-1"', '"1000000000"', 'abc', '""'])
      expect([header, (() => { try { parseIfMatch(header); return 'accepted'; } catch (error) { return error instanceof BadRequestException ? 400 : error; } })()]).toEqual([header, 400]);
  });
});
