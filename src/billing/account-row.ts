import type { Account } from './account.entity.js';

/** Maps a raw `accounts` row (snake_case, int8 as string) to the entity shape. */
export function accountFromRow(row: Record<string, unknown>): Account {
  return {
    id: row.id as string,
    environment: row.environment as Account['environment'],
    oauthProvider: row.oauth_provider as string,
    externalId: row.external_id as string,
    waId: row.wa_id as string | null,
    tenantId: row.tenant_id as string | null,
    customerEmail: row.customer_email as string | null,
    displayName: row.display_name as string | null,
    userRole: row.user_role as string | null,
    agentId: row.agent_id as string | null,
    balanceMinor: Number(row.balance_minor),
    currency: row.currency as string,
    planName: row.plan_name as string,
    status: row.status as Account['status'],
    statusReason: row.status_reason as string | null,
    freeUsesRemaining: row.free_uses_remaining as number,
    dailyFreeUsesLimit: row.daily_free_uses_limit as number,
    dailyFreeUsesRemaining: row.daily_free_uses_remaining as number,
    dailyFreeUsesDay: dateOnly(row.daily_free_uses_day),
    totalUses: Number(row.total_uses),
    heldMinor: Number(row.held_minor ?? 0),
    heldFreeUses: Number(row.held_free_uses ?? 0),
    heldDailyFreeUses: Number(row.held_daily_free_uses ?? 0),
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
  };
}

/** `date` columns: pg gives a local-midnight Date; row_to_json gives 'YYYY-MM-DD'. */
function dateOnly(value: unknown): string {
  if (value instanceof Date) {
    const y = value.getFullYear();
    const m = String(value.getMonth() + 1).padStart(2, '0');
    const d = String(value.getDate()).padStart(2, '0');
    return `${y}-${m}-${d}`;
  }
  return String(value);
}
