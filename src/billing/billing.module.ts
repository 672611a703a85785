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
import { Hold } from './hold.entity.js';
import { HoldsController } from './holds.controller.js';
import { HoldsRepository } from './holds.repository.js';
import { HoldsService } from './holds.service.js';
import { LedgerRepository } from './ledger.repository.js';
import { PurchaseLedgerRepository } from './purchase-ledger.repository.js';
import { RefundsRepository } from './refunds.repository.js';
import { RefundsService } from './refunds.service.js';

/**
 * Accounts, charges, credits, holds, refunds and the ledger. The only folder whose statements move a balance or
 * write a ledger row: other features call the exported repositories' intent-named methods.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Account, Charge, Credit, CreditCheck, Hold])],
  controllers: [BillingController, HoldsController],
  providers: [
    BillingService,
    AccountsRepository,
    ChargesRepository,
    CreditsRepository,
    CreditChecksRepository,
    LedgerRepository,
    AdjustmentsRepository,
    PurchaseLedgerRepository,
    HoldsService,
    HoldsRepository,
    RefundsService,
    RefundsRepository,
    PreparedQueries,
  ],
  exports: [BillingService, AccountsRepository, AdjustmentsRepository, PurchaseLedgerRepository],
})
export class BillingModule {}
