import { Command, CommandRunner, Help, Option, SubCommand } from 'nest-commander';
import type { ApiKeyStatus } from '../../api-keys/api-key.entity.js';
import { ApiKeysService } from '../../api-keys/api-keys.service.js';
import { PERMISSIONS } from '../../api-keys/permissions.js';
import type { KeyEnvironment } from '../../common/crypto/api-key-token.js';
import { CliCore } from '../cli-core.js';
import { CliUsageError } from '../errors.js';
import {
  oneOf,
  orNull,
  parseExpiresInDays,
  parseHours,
  parseRateLimit,
  parseWholeNumber,
  requireKeyId,
  requireText,
  type OutputOptions,
} from '../options.js';
import { generatedKeyBlock, generatedKeyJson, keyJson, keyTable, writeJson, writeOut } from '../output.js';
import { BaseCommand } from './base.command.js';
import { KeyRotateDueCommand, KeyUpdateCommand } from './key-policy.commands.js';

const ENVIRONMENTS: readonly KeyEnvironment[] = ['live', 'test'];
const STATUSES: readonly ApiKeyStatus[] = ['active', 'rotating', 'revoked'];
const DEFAULT_GRACE_HOURS = 24;

interface KeyCreateOptions extends OutputOptions {
  name?: string;
  createdBy?: string;
  env?: KeyEnvironment;
  permission?: string[];
  description?: string;
  expiresInDays?: number | 'never';
  rateLimitPerMinute?: number | 'none';
}

@SubCommand({ name: 'create', description: 'Create an API key; the key is printed once and never stored' })
export class KeyCreateCommand extends BaseCommand {
  constructor(private readonly core: CliCore) {
    super();
  }

  @Option({ flags: '--name <name>', description: 'Name of the key (e.g. the agent using it)', required: true })
  parseName(value: string): string {
    return requireText('--name', value);
  }

  @Option({ flags: '--created-by <admin>', description: 'Admin user creating the key: email or id', required: true })
  parseCreatedBy(value: string): string {
    return requireText('--created-by', value, 320);
  }

  @Option({ flags: '--env <environment>', description: 'live | test (default: live)' })
  parseEnv(value: string): KeyEnvironment {
    return oneOf('--env', value, ENVIRONMENTS);
  }

  @Option({
    flags: '--permission <permission>',
    description: `Permission to grant; repeat or comma-separate (default: billing:read, billing:write). One of: ${PERMISSIONS.join(', ')}`,
  })
  parsePermission(value: string, previous: string[] = []): string[] {
    return [
      ...previous,
      ...value
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ];
  }

  @Option({ flags: '--description <text>', description: 'Free-text description' })
  parseDescription(value: string): string {
    return requireText('--description', value, 2_000);
  }

  @Option({
    flags: '--expires-in-days <days|never>',
    description:
      'Expire the key after N days, or "never" (default: API_KEY_DEFAULT_EXPIRY_DAYS, 90 days unless configured; ' +
      'at most API_KEY_MAX_EXPIRY_DAYS when set)',
  })
  parseExpiresInDays(value: string): number | 'never' {
    return parseExpiresInDays('--expires-in-days', value);
  }

  @Option({
    flags: '--rate-limit-per-minute <n>',
    description: 'Requests per minute this key may make, across all replicas with REDIS_URL (default: no limit)',
  })
  parseRateLimit(value: string): number | 'none' {
    return parseRateLimit('--rate-limit-per-minute', value);
  }

  @Help('after')
  examples(): string {
    return [
      '',
      'Example:',
      '  node dist/cli key create --name "Production Agent" --created-by admin@example.com \\',
      '    --env live --permission billing:read --permission billing:write',
    ].join('\n');
  }

  async run(_args: string[], options: KeyCreateOptions = {}): Promise<void> {
    const keys = await this.core.get(ApiKeysService);
    const key = await keys.createApiKey({
      name: options.name as string,
      createdBy: options.createdBy as string,
      environment: options.env ?? 'live',
      description: options.description ?? null,
      permissions: options.permission,
      expiresInDays: orNull(options.expiresInDays),
      rateLimitPerMinute: orNull(options.rateLimitPerMinute) ?? null,
    });
    if (options.json) return writeJson(generatedKeyJson(key));
    writeOut(generatedKeyBlock(key));
  }
}

interface KeyListOptions extends OutputOptions {
  env?: KeyEnvironment;
  status?: ApiKeyStatus;
  expiringWithinDays?: number;
  unusedForDays?: number;
}

@SubCommand({ name: 'list', description: 'List API keys (never the key or its hash)' })
export class KeyListCommand extends BaseCommand {
  constructor(private readonly core: CliCore) {
    super();
  }

  @Option({ flags: '--env <environment>', description: 'Only live | test keys' })
  parseEnv(value: string): KeyEnvironment {
    return oneOf('--env', value, ENVIRONMENTS);
  }

  @Option({ flags: '--status <status>', description: 'Only active | rotating | revoked keys' })
  parseStatus(value: string): ApiKeyStatus {
    return oneOf('--status', value, STATUSES);
  }

  @Option({
    flags: '--expiring-within-days <days>',
    description: 'Only keys that expire within N days (or already have)',
  })
  parseExpiring(value: string): number {
    return parseWholeNumber('--expiring-within-days', value);
  }

  @Option({
    flags: '--unused-for-days <days>',
    description: 'Only keys not used (or, if never used, created) in the last N days',
  })
  parseUnused(value: string): number {
    return parseWholeNumber('--unused-for-days', value);
  }

  async run(_args: string[], options: KeyListOptions = {}): Promise<void> {
    const keys = await this.core.get(ApiKeysService);
    const list = await keys.listApiKeys({
      environment: options.env,
      status: options.status,
      expiringWithinDays: options.expiringWithinDays,
      unusedForDays: options.unusedForDays,
    });
    if (options.json) return writeJson(list.map(keyJson));
    writeOut(keyTable(list));
  }
}

interface KeyRotateOptions extends OutputOptions {
  gracePeriodHours?: number;
}

@SubCommand({
  name: 'rotate',
  arguments: '<key-id>',
  argsDescription: { 'key-id': 'Id of the key to replace (see `key list`)' },
  description: 'Replace a key: prints the new key once; the old one keeps working for the grace period',
})
export class KeyRotateCommand extends BaseCommand {
  constructor(private readonly core: CliCore) {
    super();
  }

  @Option({
    flags: '--grace-period-hours <hours>',
    description: `Hours the old key keeps working; 0 revokes it at once (default: ${DEFAULT_GRACE_HOURS})`,
  })
  parseGrace(value: string): number {
    return parseHours('--grace-period-hours', value);
  }

  async run([rawId]: string[], options: KeyRotateOptions = {}): Promise<void> {
    const keyId = requireKeyId(rawId);
    const gracePeriodHours = options.gracePeriodHours ?? DEFAULT_GRACE_HOURS;
    const keys = await this.core.get(ApiKeysService);
    const fresh = await keys.rotateApiKey(keyId, { gracePeriodHours });
    const old = await keys.getApiKey(keyId);
    if (options.json) return writeJson({ ...generatedKeyJson(fresh), rotated_from: keyJson(old) });
    const oldFate =
      old.status === 'rotating' && old.gracePeriodUntil
        ? `Old key ${old.keyId} keeps working until ${old.gracePeriodUntil.toISOString()} (grace period ${gracePeriodHours} h), then is revoked.`
        : `Old key ${old.keyId} is revoked (no grace period).`;
    writeOut(`${generatedKeyBlock(fresh, 'API KEY ROTATED - SAVE THE NEW KEY NOW!')}\n${oldFate}`);
  }
}

@SubCommand({
  name: 'revoke',
  arguments: '<key-id>',
  argsDescription: { 'key-id': 'Id of the key to revoke (see `key list`)' },
  description: 'Revoke a key: refused from the next request on, on every replica',
})
export class KeyRevokeCommand extends BaseCommand {
  constructor(private readonly core: CliCore) {
    super();
  }

  @Option({ flags: '--reason <text>', description: 'Why (kept in the audit trail)' })
  parseReason(value: string): string {
    return requireText('--reason', value, 1_000);
  }

  async run([rawId]: string[], options: OutputOptions & { reason?: string } = {}): Promise<void> {
    const keyId = requireKeyId(rawId);
    const keys = await this.core.get(ApiKeysService);
    const before = await keys.getApiKey(keyId);
    const key = await keys.revokeApiKey(keyId, { reason: options.reason });
    if (options.json) return writeJson(keyJson(key));
    writeOut(
      before.status === 'revoked'
        ? `API key ${key.keyId} (${key.name}) was already revoked`
        : `✅ API key revoked: ${key.keyId} (${key.name}, ${key.keyPrefix}...)`,
    );
  }
}

@Command({
  name: 'key',
  description: 'Manage API keys: create, list, update, rotate, rotate-due, revoke',
  subCommands: [
    KeyCreateCommand,
    KeyListCommand,
    KeyUpdateCommand,
    KeyRotateCommand,
    KeyRotateDueCommand,
    KeyRevokeCommand,
  ],
  allowExcessArgs: true,
})
export class KeyCommand extends CommandRunner {
  run(args: string[]): Promise<void> {
    if (args.length > 0) {
      return Promise.reject(
        new CliUsageError(
          `Unknown command 'key ${args[0]}' (expected: create, list, update, rotate, rotate-due, revoke)`,
        ),
      );
    }
    this.command.help({ error: true });
    return Promise.resolve();
  }
}
