import { Controller, Get, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { Public } from '../../auth/decorators.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../service-info.js';

@Controller()
@Public()
export class HealthController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get()
  root(): { service: string; version: string; status: string } {
    return { service: SERVICE_NAME, version: SERVICE_VERSION, status: 'running' };
  }

  /** Kept for existing clients: 200 when the database answers, else 503. */
  @Get('health')
  async health(@Res({ passthrough: true }) res: Response): Promise<Record<string, string>> {
    try {
      await this.db.query('SELECT 1');
      return { status: 'healthy', database: 'connected' };
    } catch {
      res.status(503);
      return { status: 'unhealthy', database: 'disconnected' };
    }
  }
}
