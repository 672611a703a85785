import type { ValueTransformer } from 'typeorm';

/** int8 columns arrive from pg as strings; amounts are kept within Number.MAX_SAFE_INTEGER by a check constraint. */
export const bigintToNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
