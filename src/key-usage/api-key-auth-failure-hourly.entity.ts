import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../common/database/bigint.transformer.js';

/**
 * Failed API-key authentications in one UTC hour by reason, presented key prefix (empty when the
 * header was missing or malformed) and client IP. Written in batches, never per request.
 */
@Entity('api_key_auth_failures_hourly')
export class ApiKeyAuthFailureHourly {
  @PrimaryColumn({ type: 'timestamptz' })
  hour: Date;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  reason: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  keyPrefix: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  clientIp: string;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  count: number;
}
