import type { AdminUserView } from '../admin-users/admin-users.service.js';
import type { ApiKeyView, GeneratedApiKey } from '../api-keys/api-keys.service.js';

const RULE = '='.repeat(70);

export function writeOut(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function writeJson(value: unknown): void {
  writeOut(JSON.stringify(value, null, 2));
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** A key as scripts see it (`--json`): snake_case like the HTTP API; never the hash. */
export function keyJson(k: ApiKeyView): Record<string, unknown> {
  return {
    key_id: k.keyId,
    name: k.name,
    description: k.description,
    environment: k.environment,
    key_prefix: k.keyPrefix,
    permissions: k.permissions,
    status: k.status,
    created_by: k.createdBy,
    created_at: iso(k.createdAt),
    expires_at: iso(k.expiresAt),
    last_used_at: iso(k.lastUsedAt),
    last_used_ip: k.lastUsedIp,
    grace_period_until: iso(k.gracePeriodUntil),
    rotated_to: k.rotatedTo,
    rate_limit_per_minute: k.rateLimitPerMinute,
  };
}

export function generatedKeyJson(k: GeneratedApiKey): Record<string, unknown> {
  const lifetime = k.lifetime ? { lifetime: { source: k.lifetime.source, days: k.lifetime.days } } : {};
  return { ...keyJson(k), ...lifetime, plaintext_key: k.plaintextKey };
}

/** The `Expires:` line: when, and why (the default, the operator's choice, or the replaced key's). */
function expiresText(k: GeneratedApiKey): string | undefined {
  const at = k.expiresAt ? k.expiresAt.toISOString() : 'never';
  switch (k.lifetime?.source) {
    case 'default':
      return k.lifetime.days === null
        ? `${at} (default: API_KEY_DEFAULT_EXPIRY_DAYS=0)`
        : `${at} (default lifetime: ${k.lifetime.days} days, API_KEY_DEFAULT_EXPIRY_DAYS)`;
    case 'requested':
      return k.lifetime.days === null ? `${at} (requested)` : `${at} (requested: ${k.lifetime.days} days)`;
    case 'inherited':
      return k.lifetime.days === null
        ? `${at} (like the key it replaces)`
        : `${at} (${k.lifetime.days} days, like the key it replaces)`;
    default:
      return k.expiresAt ? at : undefined;
  }
}

export function adminJson(u: AdminUserView): Record<string, unknown> {
  return {
    id: u.id,
    email: u.email,
    full_name: u.fullName,
    role: u.role,
    is_active: u.isActive,
    created_at: iso(u.createdAt),
  };
}

/** The guide's Step 3 block: the only time the plaintext key is shown. */
export function generatedKeyBlock(k: GeneratedApiKey, title = 'API KEY GENERATED - SAVE THIS NOW!'): string {
  return [
    RULE,
    `⚠️  ${title}`,
    RULE,
    `Key ID:      ${k.keyId}`,
    `Name:        ${k.name}`,
    `Environment: ${k.environment}`,
    `Permissions: ${k.permissions.join(', ')}`,
    ...(expiresText(k) ? [`Expires:     ${expiresText(k)}`] : []),
    '',
    'API Key (SAVE THIS - shown only once):',
    `  ${k.plaintextKey}`,
    RULE,
    '',
    '⚠️  Store this key securely. You will not be able to see it again!',
    '',
  ].join('\n');
}

/** `2026-11-25T02:05:13Z`: UTC, to the second. */
const when = (d: Date | null, none: string): string => (d ? `${d.toISOString().slice(0, 19)}Z` : none);

function statusText(k: ApiKeyView): string {
  return k.status === 'rotating' && k.gracePeriodUntil ? `rotating (until ${when(k.gracePeriodUntil, '')})` : k.status;
}

/** A plain-text table of keys for people; `--json` is for scripts. */
export function keyTable(keys: ApiKeyView[]): string {
  if (keys.length === 0) return 'No API keys match.\n';
  const header = ['KEY ID', 'NAME', 'PREFIX', 'ENV', 'STATUS', 'PERMISSIONS', 'CREATED', 'EXPIRES', 'LAST USED'];
  const rows = keys.map((k) => [
    k.keyId,
    k.name,
    `${k.keyPrefix}...`,
    k.environment,
    statusText(k),
    k.permissions.join(','),
    when(k.createdAt, '-'),
    when(k.expiresAt, 'never'),
    when(k.lastUsedAt, 'never'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line), ''].join('\n');
}
