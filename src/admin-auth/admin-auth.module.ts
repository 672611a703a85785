import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { AdminAuthService } from './admin-auth.service.js';
import { AdminRecoveryCode } from './admin-recovery-code.entity.js';
import { AdminSession } from './admin-session.entity.js';
import { AdminSessionGuard } from './admin-session.guard.js';
import { AdminSessionsRepository } from './admin-sessions.repository.js';
import { AuthThrottle } from './auth-throttle.js';
import { OperatorsRepository } from './operators.repository.js';
import { OperatorsService } from './operators.service.js';

/** Operator authentication (password, TOTP, sessions, step-up) and operator management. No HTTP routes: see admin-console. */
@Module({
  imports: [TypeOrmModule.forFeature([AdminSession, AdminRecoveryCode]), AuditModule],
  providers: [
    AdminAuthService,
    OperatorsService,
    OperatorsRepository,
    AdminSessionsRepository,
    AuthThrottle,
    AdminSessionGuard,
  ],
  exports: [AdminAuthService, OperatorsService, AuthThrottle, AdminSessionGuard],
})
export class AdminAuthModule {}
