import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEntry } from './audit-entry.entity.js';
import { AuditRepository } from './audit.repository.js';

/** The one audit trail of admin actions, shared by the console, the CLI and the billing:admin routes. */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEntry])],
  providers: [AuditRepository],
  exports: [AuditRepository],
})
export class AuditModule {}
