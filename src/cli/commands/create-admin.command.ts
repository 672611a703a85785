import { Command, Help, Option } from 'nest-commander';
import { ADMIN_ROLES, type AdminRole } from '../../admin-users/admin-user.entity.js';
import { AdminUsersService } from '../../admin-users/admin-users.service.js';
import { CliCore } from '../cli-core.js';
import { CliUsageError } from '../errors.js';
import { oneOf, requireText, type OutputOptions } from '../options.js';
import { adminJson, writeJson, writeOut } from '../output.js';
import { promptHidden, readStdin } from '../prompt.js';
import { BaseCommand } from './base.command.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

interface CreateAdminOptions extends OutputOptions {
  email?: string;
  name?: string;
  role?: AdminRole;
  passwordStdin?: boolean;
}

@Command({
  name: 'create-admin',
  description: 'Create an admin user (password prompted on a terminal, or read from stdin; never from argv)',
})
export class CreateAdminCommand extends BaseCommand {
  constructor(private readonly core: CliCore) {
    super();
  }

  @Option({ flags: '--email <email>', description: 'Email address (unique)', required: true })
  parseEmail(value: string): string {
    if (!EMAIL.test(value.trim()))
      throw new CliUsageError(`Invalid value for --email: "${value}" (expected an email address)`);
    return value.trim();
  }

  @Option({ flags: '--name <full-name>', description: 'Full name', required: true })
  parseName(value: string): string {
    return requireText('--name', value);
  }

  @Option({ flags: '--role <role>', description: `Role: ${ADMIN_ROLES.join(' | ')} (default: admin)` })
  parseRole(value: string): AdminRole {
    return oneOf('--role', value, ADMIN_ROLES);
  }

  @Option({ flags: '--password-stdin', description: 'Read the password from stdin instead of prompting' })
  parsePasswordStdin(): boolean {
    return true;
  }

  @Help('after')
  examples(): string {
    return [
      '',
      'Examples:',
      '  node dist/cli create-admin --email admin@example.com --name "System Administrator" --role super_admin',
      '  printf "%s" "$ADMIN_PASSWORD" | node dist/cli create-admin --email ops@example.com --name Ops --password-stdin',
    ].join('\n');
  }

  async run(_args: string[], options: CreateAdminOptions = {}): Promise<void> {
    const email = options.email as string;
    const password = await this.readPassword(email, options.passwordStdin === true);
    const admins = await this.core.get(AdminUsersService);
    const admin = await admins.createAdmin({
      email,
      password,
      fullName: options.name as string,
      role: options.role ?? 'admin',
    });
    if (options.json) return writeJson(adminJson(admin));
    writeOut(`✅ Admin user created: ${admin.email}\n   User ID: ${admin.id}\n   Role: ${admin.role}`);
  }

  private async readPassword(email: string, fromStdin: boolean): Promise<string> {
    let password: string;
    if (fromStdin) {
      password = await readStdin();
    } else {
      if (!process.stdin.isTTY) {
        throw new CliUsageError('No terminal to prompt for the password on: pipe it in and pass --password-stdin');
      }
      password = await promptHidden(`Password for ${email}: `);
      this.checkPassword(password);
      if ((await promptHidden('Repeat password: ')) !== password) throw new CliUsageError('Passwords do not match');
    }
    this.checkPassword(password);
    return password;
  }

  private checkPassword(password: string): void {
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new CliUsageError(`Password too short: at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    if (password.length > MAX_PASSWORD_LENGTH) {
      throw new CliUsageError(`Password too long: at most ${MAX_PASSWORD_LENGTH} characters`);
    }
  }
}
