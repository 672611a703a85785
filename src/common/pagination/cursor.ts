import { RequestValidationError } from '../errors/domain-error.js';

/** A keyset position in a list ordered by (created_at DESC, id DESC). Opaque to clients. */
export interface CursorPosition {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: { createdAt: Date | string; id: string }): string {
  const at = position.createdAt instanceof Date ? position.createdAt.toISOString() : position.createdAt;
  return Buffer.from(`${at}|${position.id}`, 'utf8').toString('base64url');
}

/** The position a cursor names; a cursor that is not one of ours is a 422, never a 500. */
export function decodeCursor(cursor: string | undefined): CursorPosition | null {
  if (cursor === undefined || cursor === '') return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [at, id, extra] = text.split('|');
  if (extra !== undefined || !id || !UUID.test(id) || !at || Number.isNaN(Date.parse(at))) {
    throw new RequestValidationError([
      { loc: ['query', 'cursor'], msg: 'cursor is not valid', type: 'cursor_invalid' },
    ]);
  }
  return { createdAt: at, id };
}

/**
 * `{items, next_cursor}` from `limit + 1` rows: the extra row only says there is a next page.
 * Timestamps keep microseconds in PostgreSQL; cursors carry them as text (`created_at_text`) so
 * the next page starts exactly after the last row.
 */
export function pageOf<Row extends { id: string }, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  positionOf: (row: Row) => string,
): { items: Item[]; next_cursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return {
    items: page.map(toItem),
    next_cursor: more && last ? encodeCursor({ createdAt: positionOf(last), id: last.id }) : null,
  };
}
