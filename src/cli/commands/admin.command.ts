import { Command, CommandRunner, Help, SubCommand } from 'nest-commander';
import { OperatorsService, type OperatorView } from '../../admin-auth/operators.service.js';
import { CLI_ACTOR } from '../../audit/audit-actor.js';
import { CliCore } from '../cli-core.js';
import { CliUsageError } from '../errors.js';
import { requireText, type OutputOptions } from '../options.js';
import { writeJson, writeOut } from '../output.js';
import { BaseCommand } from './base.command.js';

const operatorJson = (u: OperatorView): Record<string, unknown> => ({
  id: u.id,
  email: u.email,
  full_name: u.full_name,
  role: u.role,
  is_active: u.is_active,
  mfa_enabled: u.mfa_enabled,
  locked_until: u.locked_until ? new Date(u.locked_until).toISOString() : null,
  active_sessions: u.active_sessions,
});

@SubCommand({
  name: 'reset-mfa',
  arguments: '<admin>',
  argsDescription: { admin: 'Email or id of the operator' },
  description:
    'Turn off two-factor sign-in: the operator enrols again at next sign-in; their sessions end (audited as cli)',
})
export class AdminResetMfaCommand extends BaseCommand {
  constructor(private readonly core: CliCore) {
    super();
  }

  async run([ref]: string[], options: OutputOptions = {}): Promise<void> {
    const operators = await this.core.get(OperatorsService);
    const user = await operators.resetMfa(CLI_ACTOR, requireText('<admin>', ref ?? '', 320));
    if (options.json) return writeJson(operatorJson(user));
    writeOut(`✅ MFA reset for ${user.email}: they enrol a new authenticator at next sign-in.`);
  }
}

@SubCommand({
  name: 'unlock',
  arguments: '<admin>',
  argsDescription: { admin: 'Email or id of the operator' },
  description: 'Lift a sign-in lock after repeated failures (audited as cli)',
})
export class AdminUnlockCommand extends BaseCommand {
  constructor(private readonly core: CliCore) {
    super();
  }

  async run([ref]: string[], options: OutputOptions = {}): Promise<void> {
    const operators = await this.core.get(OperatorsService);
    const user = await operators.unlock(CLI_ACTOR, requireText('<admin>', ref ?? '', 320));
    if (options.json) return writeJson(operatorJson(user));
    writeOut(`✅ ${user.email} can sign in again.`);
  }
}

@Command({
  name: 'admin',
  description: 'Help operators locked out of the console: reset-mfa, unlock',
  subCommands: [AdminResetMfaCommand, AdminUnlockCommand],
  allowExcessArgs: true,
})
export class AdminCommand extends CommandRunner {
  @Help('after')
  examples(): string {
    return [
      '',
      'Examples:',
      '  node dist/cli admin reset-mfa ops@example.com',
      '  node dist/cli admin unlock ops@example.com',
    ].join('\n');
  }

  run(args: string[]): Promise<void> {
    if (args.length > 0) {
      return Promise.reject(new CliUsageError(`Unknown command 'admin ${args[0]}' (expected: reset-mfa, unlock)`));
    }
    this.command.help({ error: true });
    return Promise.resolve();
  }
}
