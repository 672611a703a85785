import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { BillingModule } from '../billing/billing.module.js';
import { AccountLookupRepository } from './account-lookup.repository.js';
import { AccountAdminController } from './account-admin.controller.js';
import { AccountAdminService } from './account-admin.service.js';
import { AccountStatusRepository } from './account-status.repository.js';
import { AdminAuditRepository } from './admin-audit.repository.js';

/** billing:admin: account status changes, manual adjustments, the admin audit trail. */
@Module({
  imports: [BillingModule, AuditModule],
  controllers: [AccountAdminController],
  providers: [AccountAdminService, AccountStatusRepository, AdminAuditRepository, AccountLookupRepository],
  exports: [AccountAdminService],
})
export class AccountAdminModule {}
