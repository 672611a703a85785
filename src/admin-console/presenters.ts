import type { SessionRow } from '../admin-auth/admin-sessions.repository.js';
import type { OperatorView } from '../admin-auth/operators.service.js';
import type { AuditRow } from '../audit/audit.repository.js';
import type { AdminUserSummary, ApiKeySummary, AuditEntry, Permission, SessionInfo } from './contract.js';

export const iso = (value: Date | string): string => new Date(value).toISOString();
export const isoOrNull = (value: Date | string | null | undefined): string | null =>
  value === null || value === undefined ? null : iso(value);

export function sessionInfo(
  row: SessionRow,
  currentId: string,
  idleSeconds: number,
  stepUpUntil: Date | null,
): SessionInfo {
  const lastSeen = new Date(row.last_seen_at);
  const idleEnd = new Date(lastSeen.getTime() + idleSeconds * 1000);
  const absolute = new Date(row.absolute_expires_at);
  return {
    id: row.id,
    created_at: iso(row.created_at),
    last_seen_at: iso(lastSeen),
    idle_expires_at: iso(idleEnd < absolute ? idleEnd : absolute),
    absolute_expires_at: iso(absolute),
    step_up_until: row.id === currentId ? isoOrNull(stepUpUntil) : null,
    ip: row.ip,
    user_agent: row.user_agent,
    current: row.id === currentId,
  };
}

export function auditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    created_at: iso(row.created_at),
    actor: { type: row.actor_type, id: row.actor_id, label: row.actor_label },
    action: row.action,
    resource_type: row.resource_type,
    resource_id: row.resource_id,
    environment: row.environment,
    before: row.before,
    after: row.after,
    reason: row.reason,
    outcome: row.outcome,
    ip: row.ip,
    user_agent: row.user_agent,
    request_id: row.request_id,
  };
}

export function adminUserSummary(user: OperatorView): AdminUserSummary {
  return {
    id: user.id,
    email: user.email,
    full_name: user.full_name,
    role: user.role,
    is_active: user.is_active,
    mfa_enabled: user.mfa_enabled,
    last_login_at: isoOrNull(user.last_login_at),
    locked_until: isoOrNull(user.locked_until),
    failed_login_count: user.failed_login_count,
    active_sessions: user.active_sessions,
    created_at: iso(user.created_at),
  };
}

/** A key as the console lists it (the service's view plus who created it and what it replaced). */
export interface KeyRecord {
  keyId: string;
  name: string;
  description: string | null;
  environment: 'live' | 'test';
  keyPrefix: string;
  permissions: readonly string[];
  status: 'active' | 'rotating' | 'revoked';
  createdBy: string;
  createdByEmail: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  gracePeriodUntil: Date | null;
  rotatedTo: string | null;
  rotatedFrom: string | null;
  revokedAt: Date | null;
  rateLimitPerMinute: number | null;
}

export function keySummary(key: KeyRecord, requests7d: number): ApiKeySummary {
  return {
    id: key.keyId,
    name: key.name,
    description: key.description,
    environment: key.environment,
    key_prefix: key.keyPrefix,
    permissions: [...key.permissions] as Permission[],
    status: key.status,
    created_by: { id: key.createdBy, email: key.createdByEmail },
    created_at: iso(key.createdAt),
    expires_at: isoOrNull(key.expiresAt),
    last_used_at: isoOrNull(key.lastUsedAt),
    last_used_ip: key.lastUsedIp,
    grace_period_until: isoOrNull(key.gracePeriodUntil),
    rotated_to: key.rotatedTo,
    rotated_from: key.rotatedFrom,
    revoked_at: isoOrNull(key.revokedAt),
    rate_limit_per_minute: key.rateLimitPerMinute,
    requests_7d: requests7d,
  };
}
