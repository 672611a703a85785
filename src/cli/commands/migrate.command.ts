import { Command } from 'nest-commander';
import { DATABASE_URL } from '../../common/database/database.module.js';
import { runMigrationsLocked } from '../../common/database/migrator.js';
import { CliCore } from '../cli-core.js';
import type { OutputOptions } from '../options.js';
import { writeJson, writeOut } from '../output.js';
import { BaseCommand } from './base.command.js';

@Command({
  name: 'migrate',
  description: 'Apply pending database migrations (under an advisory lock: safe next to running replicas)',
})
export class MigrateCommand extends BaseCommand {
  constructor(private readonly core: CliCore) {
    super();
  }

  async run(_args: string[], options: OutputOptions = {}): Promise<void> {
    const applied = await runMigrationsLocked(await this.core.get<string>(DATABASE_URL));
    if (options.json) return writeJson({ applied });
    writeOut(
      applied.length === 0
        ? '✅ Database is up to date (no pending migrations)'
        : `✅ Applied ${applied.length} migration(s):\n${applied.map((m) => `   ${m}`).join('\n')}`,
    );
  }
}
