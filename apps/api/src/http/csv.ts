import { Readable } from 'node:stream';
import { Logger, StreamableFile } from '@nestjs/common';
import type { Request, Response } from 'express';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

export type CsvCell = string | number | boolean | null | undefined;

/** A column: its header and how a row fills it. */
export interface CsvColumn<T> {
  header: string;
  value(row: T): CsvCell;
}

/** Characters a spreadsheet reads as the start of a formula (or that hide one): such a cell is prefixed with a quote. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A cell with any of these is quoted (RFC 4180 §2.6). */
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One cell: RFC 4180 quoting (in double quotes, with inner quotes doubled, when it holds a comma,
 * a quote or a line break), and text that a spreadsheet would run as a formula (`=HYPERLINK(…)`,
 * `+`, `-`, `@`, a leading tab or carriage return) prefixed with a single quote, so that it is shown
 * as text (OWASP "CSV injection"). Numbers and booleans are ours and written as they are; empty for
 * null.
 */
export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, ended by CRLF as RFC 4180 writes it. */
export function csvLine(cells: readonly CsvCell[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * Whether the client asked for CSV: `Accept: text/csv` preferred over JSON (by order and q-values,
 * as express's `req.accepts` weighs them). No Accept, `*\/*` or anything else answers JSON.
 */
export function wantsCsv(req: Request): boolean {
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

const logger = new Logger('CsvExport');

/**
 * A CSV answer written row by row as the pages arrive, never held whole in memory: the header row,
 * then each page's rows. The first page is read before answering (pass it as `first`), so a database
 * error before any byte is sent is still a problem+json answer; a failure later cuts the connection,
 * which the client sees as an incomplete download, never as a complete file.
 */
export function csvStream<T>(res: Response, fileName: string, columns: readonly CsvColumn<T>[], first: IteratorResult<T[]>, rest: AsyncIterator<T[]>): StreamableFile {
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(columns.map((column) => column.header));
    for (let page = first; !page.done; page = await rest.next()) {
      // One chunk per page: a few hundred rows per write, backpressure between pages.
      yield page.value.map((row) => csvLine(columns.map((column) => column.value(row)))).join('');
    }
  }
  res.setHeader('Content-Type', CSV_CONTENT_TYPE);
  return new StreamableFile(Readable.from(lines()), { type: CSV_CONTENT_TYPE, disposition: `attachment; filename="${fileName}"` })
    .setErrorLogger((error: Error) => logger.error({ err: { name: error.name, message: error.message } }, 'CSV export failed after its first rows; the connection was cut'));
}

async function* mapPages<P, T>(pages: AsyncIterable<P>, rows: (page: P) => T[]): AsyncGenerator<T[]> {
  for await (const page of pages) yield rows(page);
}

/** A paged read answered as CSV: each page turned into its rows, the first read before answering (see csvStream). */
export async function csvAnswer<P, T>(res: Response, fileName: string, columns: readonly CsvColumn<T>[], pages: AsyncIterable<P>, rows: (page: P) => T[]): Promise<StreamableFile> {
  const iterator = mapPages(pages, rows);
  return csvStream(res, fileName, columns, await iterator.next(), iterator);
}

/** The media types of a list route that also answers CSV, for @ApiOkResponse's `content`. */
export function csvContent(example: string): { 'text/csv': { schema: { type: 'string' }; example: string } } {
  return { 'text/csv': { schema: { type: 'string' }, example } };
}
