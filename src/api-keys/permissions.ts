/** The one permission vocabulary. */
export const PERMISSIONS = ['billing:read', 'billing:write', 'billing:admin', 'analytics:read'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const DEFAULT_AGENT_PERMISSIONS: Permission[] = ['billing:read', 'billing:write'];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** The one authorisation rule: a key may do what its permission list names, nothing more. */
export function isGranted(granted: readonly Permission[], required: Permission): boolean {
  return granted.includes(required);
}
