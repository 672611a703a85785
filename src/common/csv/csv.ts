import { stringify } from 'csv-stringify/sync';

export type CsvCell = string | number | null;

/**
 * RFC 4180 CSV (CRLF line ends, quoted where needed) with a header row, written by csv-stringify.
 * Text cells starting with = + - @ tab or CR get a leading `'` so a spreadsheet shows them instead
 * of running them (CSV injection); numbers, negative ones included, are written as they are.
 */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>): string {
  return stringify([[...header], ...rows.map((row) => [...row])], {
    record_delimiter: 'windows',
    escape_formulas: true,
  });
}
