import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Command } from 'commander';
import { InjectCommander } from 'nest-commander';

/**
 * Finishes the command tree nest-commander built: every command (sub-commands too, which
 * commander does not configure from their parent) throws instead of calling `process.exit`, so
 * the CLI always closes its database connections and reports the exit code itself; and surplus
 * arguments are refused.
 */
@Injectable()
export class CliSetup implements OnApplicationBootstrap {
  constructor(@InjectCommander() private readonly root: Command) {}

  onApplicationBootstrap(): void {
    this.root
      .name('node dist/cli')
      .description('CIRIS Billing operator CLI: migrations, admin users and API keys.')
      .showSuggestionAfterError(true);
    const visit = (command: Command): void => {
      command.exitOverride().helpOption('-h, --help', 'Show help for this command');
      if (command.commands.length === 0) command.allowExcessArguments(false);
      command.commands.forEach(visit);
    };
    visit(this.root);
  }
}
