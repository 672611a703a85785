import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';

export const AUDIT_ACTOR_TYPES = ['admin_user', 'api_key', 'cli', 'system'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];
export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
export const AUDIT_RESOURCE_TYPES = ['api_key', 'account', 'admin_user', 'admin_session'] as const;
export type AuditResourceType = (typeof AUDIT_RESOURCE_TYPES)[number];

/**
 * One admin action (or denied attempt, or login failure): who, what, on which resource, before/after,
 * why, with what outcome, from where, in which request. Append-only: a trigger refuses UPDATE,
 * DELETE and TRUNCATE. Never holds a secret (keys, passwords, TOTP codes, session tokens).
 */
@Entity('admin_audit_log')
export class AuditEntry {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 16 })
  actorType: AuditActorType;

  @Column({ type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ type: 'varchar', length: 320 })
  actorLabel: string;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ type: 'varchar', length: 32, nullable: true })
  resourceType: AuditResourceType | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  resourceId: string | null;

  @Column({ type: 'varchar', length: 4, nullable: true })
  environment: KeyEnvironment | null;

  /** Set when the resource is an account (kept for the billing:admin audit routes). */
  @Column({ type: 'uuid', nullable: true })
  accountId: string | null;

  /** Set when the actor is an API key (kept for the billing:admin audit routes). */
  @Column({ type: 'uuid', nullable: true })
  apiKeyId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  apiKeyName: string | null;

  @Column({ type: 'jsonb', nullable: true })
  before: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  after: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'varchar', length: 16, default: 'success' })
  outcome: AuditOutcome;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
