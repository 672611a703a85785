import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AdminSessionKind = 'pending' | 'full';

/**
 * An operator's session. Only the SHA-256 of the cookie's token is stored. `pending` sessions are
 * the few minutes between password and second factor; `full` ones reach the console.
 */
@Entity('admin_sessions')
export class AdminSession {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  adminUserId: string;

  @Column({ type: 'char', length: 64, select: false })
  tokenHash: string;

  @Column({ type: 'varchar', length: 8 })
  kind: AdminSessionKind;

  @Column({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz' })
  lastSeenAt: Date;

  @Column({ type: 'timestamptz' })
  absoluteExpiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  mfaAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  stepUpAt: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  revokedReason: string | null;
}
