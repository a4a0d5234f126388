import type { Response } from 'express';
import { csvCell, csvLine, csvStream } from './csv';

describe('CSV cells (RFC 4180, formula injection guarded)', () => {
  it('writes plain text, numbers and booleans as they are, and nothing for null', () => {
    expect(csvLine(['Beirut Housing Rights Collective', 5_000_000, false, null, undefined])).toBe('Beirut Housing Rights Collective,5000000,false,,\r\n');
  });

  it('quotes a cell holding a comma, a quote or a line break, doubling inner quotes', () => {
    expect(csvCell('Hebron Tenants\' Committee, "Al-Khalil"')).toBe('"Hebron Tenants\' Committee, ""Al-Khalil"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('a\r\nb')).toBe('"a\r\nb"');
  });

  it.each(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])('prefixes %j, which a spreadsheet would read as a formula, with a quote', (text) => {
    expect(csvCell(text).replace(/^"/, '').startsWith(`'${text[0]}`)).toBe(true);
  });

  it('prefixes and quotes a formula with a comma', () => {
    expect(csvCell('=HYPERLINK("http://evil.example","x")')).toBe('"\'=HYPERLINK(""http://evil.example"",""x"")"');
  });

  it('leaves numbers alone, negative ones too: they are ours, not text from a person', () => {
    expect(csvCell(-5)).toBe('-5');
  });
});

describe('a CSV answer, written as it is read', () => {
  const columns = [{ header: 'n', value: (row: { n: number }) => row.n }];
  const response = () => ({ setHeader: jest.fn() }) as unknown as Response;

  async function read(stream: NodeJS.ReadableStream): Promise<{ text: string; error?: Error }> {
    let text = '';
    try {
      for await (const chunk of stream) text += String(chunk);
      return { text };
    } catch (error) {
      return { text, error: error as Error };
    }
  }

  it('asks for each page only once the previous one is written: the header, then page after page', async () => {
    const asked: number[] = [];
    async function* pages() {
      for (let page = 1; page <= 3; page++) {
        asked.push(page);
        yield [{ n: page * 10 }, { n: page * 10 + 1 }];
      }
    }
    const rest = pages();
    const first = await rest.next();
    const stream = csvStream(response(), 'x.csv', columns, first, rest).getStream();
    expect(asked).toEqual([1]);
    expect(await read(stream)).toEqual({ text: 'n\r\n10\r\n11\r\n20\r\n21\r\n30\r\n31\r\n' });
    expect(asked).toEqual([1, 2, 3]);
  });

  it('writes the header alone for an empty list', async () => {
    async function* none(): AsyncGenerator<{ n: number }[]> {}
    const rest = none();
    expect(await read(csvStream(response(), 'x.csv', columns, await rest.next(), rest).getStream())).toEqual({ text: 'n\r\n' });
  });

  it('fails the stream when a later page fails, after what was written: never a short file that ends cleanly', async () => {
    async function* failing() {
      yield [{ n: 1 }];
      throw new Error('connection lost');
    }
    const rest = failing();
    const result = await read(csvStream(response(), 'x.csv', columns, await rest.next(), rest).getStream());
    expect(result.text).toBe('n\r\n1\r\n');
    expect(result.error?.message).toBe('connection lost');
  });
});
