/** The account changes the billing:admin routes make, and their names in the audit trail. */
export const ADMIN_ACTIONS = ['suspend', 'reactivate', 'close', 'adjust_balance'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];
