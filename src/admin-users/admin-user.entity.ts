import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ADMIN_ROLES = ['super_admin', 'admin', 'viewer'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

@Entity('admin_users')
export class AdminUser {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 320 })
  email: string;

  /** argon2id; never selected unless asked for. Null for an invited operator until the setup link is used. */
  @Column({ type: 'varchar', length: 255, nullable: true, select: false })
  passwordHash: string | null;

  @Column({ type: 'varchar', length: 255 })
  fullName: string;

  @Column({ type: 'varchar', length: 16, default: 'admin' })
  role: AdminRole;

  @Column({ type: 'boolean', default: true })
  isActive: boolean;

  @Column({ type: 'boolean', default: false })
  mfaEnabled: boolean;

  /** The TOTP secret, sealed with AES-256-GCM (ADMIN_MFA_ENCRYPTION_KEY). */
  @Column({ type: 'text', nullable: true, select: false })
  mfaSecret: string | null;

  /** The last TOTP time step accepted: an older or equal one is a replay. */
  @Column({ type: 'bigint', nullable: true, select: false })
  mfaLastStep: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  mfaEnrolledAt: Date | null;

  /** Consecutive sign-in failures since the last success or lock. */
  @Column({ type: 'integer', default: 0 })
  failedLoginCount: number;

  /** Locks since the last complete sign-in: each doubles the next lock. */
  @Column({ type: 'integer', default: 0 })
  lockoutCount: number;

  @Column({ type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  passwordChangedAt: Date | null;

  /** SHA-256 of an invitation's one-time setup token. */
  @Column({ type: 'char', length: 64, nullable: true, select: false })
  setupTokenHash: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  setupTokenExpiresAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null;
}
