/** The process's pino logger (see {@link createPino}). */
export const PINO = Symbol('PINO');
