import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';

export const ADMIN_ACTIONS = ['suspend', 'reactivate', 'close', 'adjust_balance'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** One billing:admin change: who (API key id and name), what, before/after, why, which request. Append-only. */
@Entity('admin_audit_log')
export class AdminAuditEntry {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 4 })
  environment: KeyEnvironment;

  @Column({ type: 'uuid' })
  accountId: string;

  @Column({ type: 'varchar', length: 32 })
  action: AdminAction;

  @Column({ type: 'uuid' })
  apiKeyId: string;

  @Column({ type: 'varchar', length: 255 })
  apiKeyName: string;

  @Column({ type: 'jsonb' })
  before: Record<string, unknown>;

  @Column({ type: 'jsonb' })
  after: Record<string, unknown>;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'varchar', length: 128 })
  requestId: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
