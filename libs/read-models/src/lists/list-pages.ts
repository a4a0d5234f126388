import { Brackets, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import type { ListNames } from './list-search';

/** Rows per page of an export: each page is one short query, no connection is held between pages. */
export const EXPORT_PAGE_SIZE = 500;

/** A page of a list with the names beside its ids. */
export interface ListPage<T> {
  items: T[];
  names: ListNames;
}

/** How a list is read: its filtered query (null when nothing can match), its order and the names of a page. */
export interface ListSource<T extends ObjectLiteral> {
  query(): SelectQueryBuilder<T> | null;
  names(items: readonly T[]): Promise<ListNames>;
  /**
   * The list's order, newest first: a column that never changes once the row exists (drafted_at,
   * awarded_at), over the table and alias of `query`, then `id` (ascending) for ties. The pages
   * and the keyset read the same order.
   */
  key: { table: string; alias: string; column: string };
}

function ordered<T extends ObjectLiteral>(source: ListSource<T>): SelectQueryBuilder<T> | null {
  const { alias, column } = source.key;
  return source.query()?.orderBy(`${alias}.${column}`, 'DESC').addOrderBy(`${alias}.id`, 'ASC') ?? null;
}

/** One page by limit and offset, with the total of the filtered list. */
export async function offsetPage<T extends ObjectLiteral>(source: ListSource<T>, limit: number, offset: number): Promise<ListPage<T> & { total: number }> {
  const query = ordered(source);
  if (!query) return { items: [], total: 0, names: await source.names([]) };
  const [items, total] = await query.take(limit).skip(offset).getManyAndCount();
  return { items, total, names: await source.names(items) };
}

/**
 * Every row of the list (from `offset`, at most `limit` when given), in its order, page by page:
 * keyset paging on (key DESC, id ASC), the cursor being the last row's id, whose key the database
 * reads itself (no precision lost on the way). The key never changes, so a row is never skipped or
 * repeated while others are added or change meanwhile.
 */
export async function* keysetPages<T extends ObjectLiteral & { id: string }>(
  source: ListSource<T>,
  window: { limit?: number; offset?: number } = {},
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<ListPage<T>> {
  const { table, alias, column } = source.key;
  const keyOf = `(SELECT k.${column} FROM ${table} k WHERE k.id = :afterId)`;
  let remaining = window.limit ?? Number.POSITIVE_INFINITY;
  let after: string | undefined;
  while (remaining > 0) {
    const query = ordered(source);
    if (!query) return;
    const size = Math.min(pageSize, remaining);
    if (after === undefined) query.offset(window.offset ?? 0);
    else {
      query.andWhere(
        new Brackets((q) => q.where(`${alias}.${column} < ${keyOf}`).orWhere(`(${alias}.${column} = ${keyOf} AND ${alias}.id > :afterId)`)),
        { afterId: after },
      );
    }
    const items = await query.limit(size).getMany();
    if (items.length > 0) yield { items, names: await source.names(items) };
    if (items.length < size) return;
    remaining -= items.length;
    after = items[items.length - 1].id;
  }
}
