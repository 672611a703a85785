import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { Permission } from './permissions.js';

export type ApiKeyStatus = 'active' | 'rotating' | 'revoked';

@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'varchar', length: 4 })
  environment: KeyEnvironment;

  @Column({ type: 'varchar', length: 16 })
  keyPrefix: string;

  /** SHA-256 of the key; never selected unless asked for. */
  @Column({ type: 'char', length: 64, select: false })
  keyHash: string;

  @Column({ type: 'text', array: true })
  permissions: Permission[];

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: ApiKeyStatus;

  @Column({ type: 'uuid' })
  createdBy: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  lastUsedIp: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  gracePeriodUntil: Date | null;

  @Column({ type: 'uuid', nullable: true })
  rotatedTo: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** Why an admin revoked it (also in the audit trail). */
  @Column({ type: 'text', nullable: true })
  revokedReason: string | null;

  @Column({ type: 'integer', nullable: true })
  rateLimitPerMinute: number | null;
}
