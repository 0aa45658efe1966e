import { CompiledQuery } from 'kysely';
import type { Compilable, QueryResult } from 'kysely';
import type { Trx } from './group-commit-writer.js';

/**
 * Multi-row statements on the ingress hot path: Kysely builds and compiles the SQL text once per
 * statement shape (name and row count) and the text is reused with fresh parameters, so the
 * per-row cost is filling an array instead of building and freezing an operation tree.
 * Parameters are row-major in the column order of the rows' keys, which is the order Kysely uses;
 * every ingress test runs through this path on SQLite and PostgreSQL.
 */
export function createCompiledQueryCache(maxEntries = 256) {
  const texts = new Map<string, string>();

  async function executeRows<Row extends object, Result>(
    trx: Trx,
    name: string,
    rows: readonly Row[],
    build: (rows: readonly Row[]) => Compilable<Result>,
  ): Promise<Result[]> {
    if (rows.length === 0) return [];
    const key = `${name}:${rows.length}`;
    const text = texts.get(key);
    if (text === undefined) {
      const compiled = build(rows).compile();
      if (texts.size >= maxEntries) texts.clear();
      texts.set(key, compiled.sql);
      return (await trx.executeQuery(compiled)).rows;
    }
    const columns = Object.keys(rows[0]!) as (keyof Row)[];
    const parameters: unknown[] = [];
    for (const row of rows) for (const column of columns) parameters.push(row[column]);
    const result: QueryResult<Result> = await trx.executeQuery(CompiledQuery.raw(text, parameters));
    return result.rows;
  }

  return { executeRows };
}

export type CompiledQueryCache = ReturnType<typeof createCompiledQueryCache>;
