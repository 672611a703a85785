import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminUsersModule } from '../admin-users/admin-users.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKey]), AdminUsersModule, AuditModule],
  providers: [ApiKeysRepository, ApiKeyVerifier, ApiKeysService],
  exports: [ApiKeysService, ApiKeyVerifier],
})
export class ApiKeysModule {}
