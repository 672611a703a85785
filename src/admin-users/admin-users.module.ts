import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { AdminUser } from './admin-user.entity.js';
import { AdminUsersRepository } from './admin-users.repository.js';
import { AdminUsersService } from './admin-users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([AdminUser]), AuditModule],
  providers: [AdminUsersRepository, AdminUsersService],
  exports: [AdminUsersService],
})
export class AdminUsersModule {}
