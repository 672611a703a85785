import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BillingModule } from '../billing/billing.module.js';
import { AccountAdminController } from './account-admin.controller.js';
import { AccountAdminService } from './account-admin.service.js';
import { AccountStatusRepository } from './account-status.repository.js';
import { AdminAuditEntry } from './admin-audit-entry.entity.js';
import { AdminAuditRepository } from './admin-audit.repository.js';

/** billing:admin: account status changes, manual adjustments, the admin audit trail. */
@Module({
  imports: [TypeOrmModule.forFeature([AdminAuditEntry]), BillingModule],
  controllers: [AccountAdminController],
  providers: [AccountAdminService, AccountStatusRepository, AdminAuditRepository],
})
export class AccountAdminModule {}
