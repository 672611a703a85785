import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { DatabaseFailureObserver } from '../errors/http-error.filter.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PING_SQL } from './sql/database.sql.js';

/** How often, while the database is down, one `SELECT 1` checks whether it is back. */
const RECHECK_MS = 1_000;

interface Outage {
  since: number;
  answered: number;
  reason: string;
}

/**
 * The database's state as requests see it. The first request that fails on the database starts an
 * outage: one error line, `billing_database_up` 0, and a `SELECT 1` every second until the database
 * answers, which ends it with one info line. Requests in between only count
 * (`billing_database_failures_total`), so an outage logs two lines, not one per request.
 */
@Injectable()
export class DatabaseStatus implements OnModuleDestroy, DatabaseFailureObserver {
  private readonly logger = new Logger('Database');
  private outage?: Outage;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  private readonly up: Gauge;
  private readonly failures: Counter<'kind'>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    metrics: MetricsService,
  ) {
    this.up = new Gauge({
      name: 'billing_database_up',
      help: '1 while the database answers requests, 0 during an outage (from the first failed request until it answers again).',
      registers: [metrics.registry],
    });
    this.up.set(1);
    this.failures = new Counter({
      name: 'billing_database_failures_total',
      help: 'Requests answered 503 because of the database, by kind: unavailable (nothing changed) or outcome_unknown.',
      labelNames: ['kind'] as const,
      registers: [metrics.registry],
    });
  }

  get isDown(): boolean {
    return this.outage !== undefined;
  }

  /** A request was answered 503 because of the database (`kind` is the error code's meaning). */
  failed(kind: 'unavailable' | 'outcome_unknown', error: unknown): void {
    this.failures.inc({ kind });
    if (this.outage) {
      this.outage.answered++;
      return;
    }
    const reason =
      error instanceof Error ? ((error as { driverError?: Error }).driverError ?? error).message : String(error);
    this.outage = { since: Date.now(), answered: 1, reason };
    this.up.set(0);
    this.logger.error(`Database unavailable (${reason}): answering 503 until it answers again`);
    this.recheck();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private recheck(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.db.query(PING_SQL).then(
        () => this.recovered(),
        () => this.recheck(),
      );
    }, RECHECK_MS);
    this.timer.unref();
  }

  private recovered(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    this.up.set(1);
    const seconds = ((Date.now() - outage.since) / 1000).toFixed(1);
    this.logger.log(`Database available again after ${seconds} s (${outage.answered} requests answered 503)`);
  }
}
