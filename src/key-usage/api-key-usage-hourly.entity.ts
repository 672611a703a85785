import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../common/database/bigint.transformer.js';

/** Requests one API key made in one UTC hour, by outcome. Written in batches, never per request. */
@Entity('api_key_usage_hourly')
export class ApiKeyUsageHourly {
  @PrimaryColumn({ type: 'uuid' })
  apiKeyId: string;

  @PrimaryColumn({ type: 'timestamptz' })
  hour: Date;

  /** ok, unauthorized, forbidden, payment_required, rate_limited, client_error, server_error. */
  @PrimaryColumn({ type: 'varchar', length: 16 })
  outcome: string;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  count: number;
}
