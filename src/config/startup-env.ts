import { type Env, loadEnv } from './env.js';

let validatedAtStartup: Env | undefined;

/**
 * main.ts validates the settings before it loads the application (it listens and logs first) and
 * hands them over here, so they are validated once. No Nest imports: main.ts loads this early.
 */
export function useValidatedEnv(env: Env): void {
  validatedAtStartup = env;
}

/** The settings handed over at start-up; apps built without them (tests, the CLI) load and validate their own. */
export function settings(): Env {
  return validatedAtStartup ?? loadEnv();
}
