import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/decorators.js';
import { GracefulShutdown } from '../common/lifecycle/graceful-shutdown.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../common/service-info.js';
import { PING_SQL } from '../common/database/sql/database.sql.js';

/** How long readiness waits for `SELECT 1` before calling the database down. */
const DATABASE_PING_TIMEOUT_MS = 1_000;

@Controller()
@Public()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly health: HealthCheckService,
    private readonly typeorm: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: GracefulShutdown,
  ) {}

  @Get()
  root(): { service: string; version: string; status: string } {
    return { service: SERVICE_NAME, version: SERVICE_VERSION, status: 'running' };
  }

  /** SPEC §10, kept for existing clients: 200 when the database answers, else 503. */
  @Get('health')
  async legacy(@Res({ passthrough: true }) res: Response): Promise<Record<string, string>> {
    try {
      await this.db.query(PING_SQL);
      return { status: 'healthy', database: 'connected' };
    } catch {
      res.status(503);
      return { status: 'unhealthy', database: 'disconnected' };
    }
  }

  /** Liveness: the process serves HTTP. Never touches the database, so an outage restarts nothing. */
  @Get('health/live')
  @HealthCheck()
  live(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    return this.run(res, []);
  }

  /** Readiness: 503 while the database is unreachable or the process is draining for shutdown. */
  @Get('health/ready')
  @HealthCheck()
  ready(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    return this.run(res, [
      () => {
        const session = this.indicators.check('lifecycle');
        return this.shutdown.isShuttingDown ? session.down({ message: 'shutting down' }) : session.up();
      },
      () => this.typeorm.pingCheck('database', { connection: this.db, timeout: DATABASE_PING_TIMEOUT_MS }),
    ]);
  }

  /** Terminus reports failure as a 503 exception; its body is the useful part, so send it as is. */
  private async run(res: Response, checks: Parameters<HealthCheckService['check']>[0]): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
