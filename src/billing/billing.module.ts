import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PreparedQueries } from '../common/database/prepared-queries.js';
import { Account } from './account.entity.js';
import { AccountsRepository } from './accounts.repository.js';
import { AdjustmentsRepository } from './adjustments.repository.js';
import { BillingController } from './billing.controller.js';
import { BillingService } from './billing.service.js';
import { Charge } from './charge.entity.js';
import { ChargesRepository } from './charges.repository.js';
import { CreditCheck } from './credit-check.entity.js';
import { CreditChecksRepository } from './credit-checks.repository.js';
import { Credit } from './credit.entity.js';
import { CreditsRepository } from './credits.repository.js';
import { LedgerRepository } from './ledger.repository.js';
import { PurchaseLedgerRepository } from './purchase-ledger.repository.js';

/**
 * Accounts, charges, credits and the ledger. The only folder whose statements move a balance or
 * write a ledger row: other features call the exported repositories' intent-named methods.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Account, Charge, Credit, CreditCheck])],
  controllers: [BillingController],
  providers: [
    BillingService,
    AccountsRepository,
    ChargesRepository,
    CreditsRepository,
    CreditChecksRepository,
    LedgerRepository,
    AdjustmentsRepository,
    PurchaseLedgerRepository,
    PreparedQueries,
  ],
  exports: [BillingService, AccountsRepository, AdjustmentsRepository, PurchaseLedgerRepository],
})
export class BillingModule {}
