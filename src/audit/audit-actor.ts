import type { AuditActorType } from './audit-entry.entity.js';

/** Who acted, and the request it came in (null outside HTTP): written into every audit row. */
export interface AuditActor {
  type: AuditActorType;
  /** Admin user id or API key id; null for the CLI and the system. */
  id: string | null;
  /** Admin email, API key name, `cli` or `system`. */
  label: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** The operator at a shell running `node dist/cli …`. */
export const CLI_ACTOR: AuditActor = {
  type: 'cli',
  id: null,
  label: 'cli',
  requestId: null,
  ip: null,
  userAgent: null,
};

/** The service itself (expiry sweeps, migrations). */
export const SYSTEM_ACTOR: AuditActor = {
  type: 'system',
  id: null,
  label: 'system',
  requestId: null,
  ip: null,
  userAgent: null,
};

/** An API key acting through the billing:admin routes. */
export function apiKeyActor(
  key: { keyId: string; keyName: string },
  request: { requestId: string; ip?: string | null; userAgent?: string | null },
): AuditActor {
  return {
    type: 'api_key',
    id: key.keyId,
    label: key.keyName,
    requestId: request.requestId,
    ip: request.ip ?? null,
    userAgent: request.userAgent ?? null,
  };
}
