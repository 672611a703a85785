import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyAuthFailureHourly } from './api-key-auth-failure-hourly.entity.js';
import { ApiKeyUsageHourly } from './api-key-usage-hourly.entity.js';
import { KeyUsageRecorder } from './key-usage.recorder.js';
import { KeyUsageRepository } from './key-usage.repository.js';

/** Hourly counters of API-key requests by outcome and of failed API-key authentications. */
@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyUsageHourly, ApiKeyAuthFailureHourly])],
  providers: [KeyUsageRepository, KeyUsageRecorder],
  exports: [KeyUsageRepository, KeyUsageRecorder],
})
export class KeyUsageModule {}
