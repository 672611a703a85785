import { Help, Option, SubCommand } from 'nest-commander';
import { ApiKeysService, type ApiKeyView, type UpdateApiKeyInput } from '../../api-keys/api-keys.service.js';
import { CliCore } from '../cli-core.js';
import { CliUsageError } from '../errors.js';
import {
  orNull,
  parseExpiresInDays,
  parseHours,
  parseRateLimit,
  parseWholeNumber,
  requireKeyId,
  requireText,
  type OutputOptions,
} from '../options.js';
import { generatedKeyBlock, generatedKeyJson, keyJson, writeJson, writeOut } from '../output.js';
import { BaseCommand } from './base.command.js';

const DEFAULT_GRACE_HOURS = 24;

interface KeyUpdateOptions extends OutputOptions {
  name?: string;
  description?: string;
  rateLimitPerMinute?: number | 'none';
  expiresInDays?: number | 'never';
}

const iso = (d: Date | null): string => (d ? d.toISOString() : 'never');
const limitText = (n: number | null): string => (n === null ? 'none' : `${n}/min`);

@SubCommand({
  name: 'update',
  arguments: '<key-id>',
  argsDescription: { 'key-id': 'Id of the key to change (see `key list`)' },
  description: 'Change a key’s name, description, rate limit or expiry: in effect on every replica at the next request',
})
export class KeyUpdateCommand extends BaseCommand {
  constructor(private readonly core: CliCore) {
    super();
  }

  @Option({ flags: '--name <name>', description: 'New name' })
  parseName(value: string): string {
    return requireText('--name', value);
  }

  @Option({ flags: '--description <text>', description: 'New description' })
  parseDescription(value: string): string {
    return requireText('--description', value, 2_000);
  }

  @Option({
    flags: '--rate-limit-per-minute <n|none>',
    description: 'Requests per minute allowed to this key across all replicas; "none" removes the limit',
  })
  parseRateLimit(value: string): number | 'none' {
    return parseRateLimit('--rate-limit-per-minute', value);
  }

  @Option({
    flags: '--expires-in-days <days|never>',
    description: 'Expire the key N days from now; "never" removes the expiry (refused under API_KEY_MAX_EXPIRY_DAYS)',
  })
  parseExpiresInDays(value: string): number | 'never' {
    return parseExpiresInDays('--expires-in-days', value);
  }

  @Help('after')
  examples(): string {
    return [
      '',
      'Examples:',
      '  node dist/cli key update 7c9e6679-7425-40de-944b-e07fc1f90ae7 --rate-limit-per-minute 120',
      '  node dist/cli key update 7c9e6679-7425-40de-944b-e07fc1f90ae7 --expires-in-days 30 --name "Agent (EU)"',
    ].join('\n');
  }

  async run([rawId]: string[], options: KeyUpdateOptions = {}): Promise<void> {
    const keyId = requireKeyId(rawId);
    const changes: UpdateApiKeyInput = {
      name: options.name,
      description: options.description,
      rateLimitPerMinute: orNull(options.rateLimitPerMinute),
      expiresInDays: orNull(options.expiresInDays),
    };
    if (Object.values(changes).every((v) => v === undefined)) {
      throw new CliUsageError(
        'Nothing to change: pass --name, --description, --rate-limit-per-minute or --expires-in-days',
      );
    }
    const keys = await this.core.get(ApiKeysService);
    const before = await keys.getApiKey(keyId);
    const after = await keys.updateApiKey(keyId, changes);
    if (options.json) return writeJson({ ...keyJson(after), previous: keyJson(before) });
    writeOut([`✅ API key updated: ${after.keyId} (${after.name})`, ...changeLines(before, after)].join('\n'));
  }
}

function changeLines(before: ApiKeyView, after: ApiKeyView): string[] {
  const lines: string[] = [];
  const row = (label: string, from: string, to: string): void => {
    lines.push(`   ${label.padEnd(12)} ${from === to ? `${to} (unchanged)` : `${from} → ${to}`}`);
  };
  row('Name:', before.name, after.name);
  row('Description:', before.description ?? '-', after.description ?? '-');
  row('Rate limit:', limitText(before.rateLimitPerMinute), limitText(after.rateLimitPerMinute));
  row('Expires:', iso(before.expiresAt), iso(after.expiresAt));
  return lines;
}

interface KeyRotateDueOptions extends OutputOptions {
  withinDays?: number;
  gracePeriodHours?: number;
}

@SubCommand({
  name: 'rotate-due',
  description:
    'Rotate every active key that expires within N days: prints each new key once; safe to run on several replicas at once',
})
export class KeyRotateDueCommand extends BaseCommand {
  constructor(private readonly core: CliCore) {
    super();
  }

  @Option({
    flags: '--within-days <days>',
    description: 'Rotate active keys expiring within this many days',
    required: true,
  })
  parseWithinDays(value: string): number {
    return parseWholeNumber('--within-days', value, { min: 1, max: 3_650 });
  }

  @Option({
    flags: '--grace-period-hours <hours>',
    description: `Hours each old key keeps working (never past its own expiry); 0 revokes it at once (default: ${DEFAULT_GRACE_HOURS})`,
  })
  parseGrace(value: string): number {
    return parseHours('--grace-period-hours', value);
  }

  @Help('after')
  examples(): string {
    return [
      '',
      'Each new key keeps its old key’s name, environment, permissions, rate limit and lifetime.',
      'With --json the result is one JSON document for a secret-store pipeline:',
      '  {"within_days": 14, "grace_period_hours": 72, "rotated": [{"key_id": …, "name": …, "plaintext_key": …,',
      '    "expires_at": …, "rotated_from": {"key_id": …, "grace_period_until": …}}]}',
      '',
      'Example (a Kubernetes CronJob runs this; see deploy/jobs/rotate-due.cronjob.yaml):',
      '  node dist/cli key rotate-due --within-days 14 --grace-period-hours 72 --json',
    ].join('\n');
  }

  async run(_args: string[], options: KeyRotateDueOptions = {}): Promise<void> {
    const withinDays = options.withinDays as number;
    const gracePeriodHours = options.gracePeriodHours ?? DEFAULT_GRACE_HOURS;
    const keys = await this.core.get(ApiKeysService);
    const rotated = await keys.rotateDueKeys({ withinDays, gracePeriodHours });
    if (options.json) {
      return writeJson({
        within_days: withinDays,
        grace_period_hours: gracePeriodHours,
        rotated: rotated.map(({ fresh, old }) => ({ ...generatedKeyJson(fresh), rotated_from: keyJson(old) })),
      });
    }
    if (rotated.length === 0) return writeOut(`No active key expires within ${withinDays} days: nothing rotated.`);
    const blocks = rotated.map(({ fresh, old }) => {
      const fate =
        old.status === 'rotating' && old.gracePeriodUntil
          ? `Replaces ${old.keyId} (expires ${iso(old.expiresAt)}), which keeps working until ${old.gracePeriodUntil.toISOString()}.`
          : `Replaces ${old.keyId} (expires ${iso(old.expiresAt)}), revoked now (no grace period).`;
      return `${generatedKeyBlock(fresh, 'API KEY ROTATED - SAVE THE NEW KEY NOW!')}\n${fate}\n`;
    });
    writeOut(
      `${blocks.join('\n')}\nRotated ${rotated.length} ${rotated.length === 1 ? 'key' : 'keys'} expiring within ${withinDays} days.`,
    );
  }
}
