import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, QueryResultRow } from 'pg';
import { type DataSource, QueryFailedError } from 'typeorm';

/** A statement PostgreSQL parses and plans once per connection, then only binds and executes. */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

const registered = new Map<string, string>();

/**
 * Declares a named statement. Names are per connection in PostgreSQL, so one name must always
 * carry one text; a clash is a programming error caught when the module loads.
 * List result columns explicitly (no `*`): a cached plan whose row type changes under a migration
 * fails with "cached plan must not change result type" on a replica still running old code.
 */
export function preparedStatement(name: string, text: string): PreparedStatement {
  const existing = registered.get(name);
  if (existing !== undefined && existing !== text) throw new Error(`Prepared statement name reused: ${name}`);
  registered.set(name, text);
  return { name, text };
}

/**
 * Runs hot-path statements as named prepared statements on TypeORM's own pool (same connections,
 * same pool size, same lifecycle). Errors are TypeORM's `QueryFailedError`, as from `query()`. TypeORM's `query()` sends unnamed statements, which PostgreSQL
 * parses and plans on every call; pg caches a named one per connection.
 */
@Injectable()
export class PreparedQueries {
  private pool?: Pool;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async rows<T extends QueryResultRow>(statement: PreparedStatement, values: unknown[]): Promise<T[]> {
    // TypeORM's PostgresDriver keeps its pg.Pool in `master` (typed `any` there).
    this.pool ??= (this.db.driver as unknown as { master: Pool }).master;
    try {
      const result = await this.pool.query<T>({ name: statement.name, text: statement.text, values });
      return result.rows;
    } catch (error) {
      // Same failure type as TypeORM's query(), so constraint handling does not care which ran.
      throw new QueryFailedError(statement.text, values, error as Error);
    }
  }
}
