import { csvCell, csvLine } from './csv';

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
