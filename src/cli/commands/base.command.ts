import { CommandRunner, Option } from 'nest-commander';

/** What every command shares: `--json` for scripts. */
export abstract class BaseCommand extends CommandRunner {
  @Option({ flags: '--json', description: 'Print the result as JSON (for scripts)' })
  parseJson(): boolean {
    return true;
  }
}
