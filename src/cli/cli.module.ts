import { Module } from '@nestjs/common';
import { CliCore } from './cli-core.js';
import { CliSetup } from './cli-setup.js';
import { AdminCommand, AdminResetMfaCommand, AdminUnlockCommand } from './commands/admin.command.js';
import { CreateAdminCommand } from './commands/create-admin.command.js';
import {
  KeyCommand,
  KeyCreateCommand,
  KeyListCommand,
  KeyRevokeCommand,
  KeyRotateCommand,
} from './commands/key.command.js';
import { KeyRotateDueCommand, KeyUpdateCommand } from './commands/key-policy.commands.js';
import { MigrateCommand } from './commands/migrate.command.js';

/** The CLI's root module for nest-commander: the commands, and the lazy handle on `CliCoreModule` (cli-core.module.ts). */
@Module({
  providers: [
    CliCore,
    CliSetup,
    MigrateCommand,
    CreateAdminCommand,
    AdminCommand,
    AdminResetMfaCommand,
    AdminUnlockCommand,
    KeyCommand,
    KeyCreateCommand,
    KeyListCommand,
    KeyRotateCommand,
    KeyRevokeCommand,
    KeyUpdateCommand,
    KeyRotateDueCommand,
  ],
})
export class CliModule {}
