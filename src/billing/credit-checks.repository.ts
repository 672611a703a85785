import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface CreditCheckRecord {
  accountId: string;
  environment: string;
  hasCredit: boolean;
  reason: string | null;
  context: Record<string, unknown>;
  apiKeyId: string | null;
}

@Injectable()
export class CreditChecksRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Its own autocommitted statement: the audit row never depends on another write committing. */
  async record(check: CreditCheckRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO credit_checks (account_id, environment, has_credit, reason, context, api_key_id)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6)`,
      [check.accountId, check.environment, check.hasCredit, check.reason, JSON.stringify(check.context), check.apiKeyId],
    );
  }
}
