import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Requests that matched no route share one label, so scanners cannot blow up cardinality. */
export const UNMATCHED_ROUTE = 'unmatched';

/** 'success', or the error code of the failure. */
type Outcome = string;

/**
 * The matched route's template (`/v1/billing/accounts/:oauth_provider/:external_id`). Requests
 * that matched nothing only carry a catch-all (`{/*splat}`, from middleware or the 404 handler).
 */
export function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' && !path.includes('*') ? path : UNMATCHED_ROUTE;
}

/** The error code a domain error carries, else a generic bucket (never a free-form message). */
export function outcomeOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : 'error';
}

interface HttpSeries {
  count: Counter.Internal;
  duration: Histogram.Internal<string>;
}

/**
 * Every Prometheus series the service exports, in a registry of its own (one per app, so tests can
 * run several apps in one process). HTTP series are labelled by route template, never raw path.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'billing_http_requests_total',
    help: 'HTTP requests by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'billing_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly charges = new Counter({
    name: 'billing_charges_total',
    help: 'Charge attempts by outcome: success, or the error code (insufficient_credits, charge_exists, ...).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly holds = new Counter({
    name: 'billing_holds_total',
    help: 'Hold attempts by outcome: success, or the error code (insufficient_credits, hold_exists, ...). Captures count as charges.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly credits = new Counter({
    name: 'billing_credits_total',
    help: 'Credit attempts by transaction type and outcome.',
    labelNames: ['transaction_type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly creditsMinor = new Counter({
    name: 'billing_credited_amount_minor_total',
    help: 'Sum of successfully credited amounts in minor units, by transaction type.',
    labelNames: ['transaction_type'] as const,
    registers: [this.registry],
  });

  readonly creditChecks = new Counter({
    name: 'billing_credit_checks_total',
    help: 'Credit checks by result.',
    labelNames: ['has_credit'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'billing_auth_failures_total',
    help: 'Rejected requests by reason (missing_api_key, invalid_api_key, api_key_expired, api_key_revoked, permission_denied, rate_limited, ...).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** Label children are cached: one Map lookup per request instead of hashing label objects twice. */
  private readonly httpSeries = new Map<string, HttpSeries>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Express middleware: one `finish` listener per request, recorded once the route is known. */
  readonly httpMiddleware = (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.once('finish', () => {
      this.observeHttp(req.method, routeTemplate(req), res.statusCode, (performance.now() - started) / 1000);
    });
    next();
  };

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let series = this.httpSeries.get(key);
    if (!series) {
      const labels = { method, route, status: String(status) };
      series = { count: this.httpRequests.labels(labels), duration: this.httpDuration.labels(labels) };
      this.httpSeries.set(key, series);
    }
    series.count.inc();
    series.duration.observe(seconds);
  }

  authFailure(error: unknown): void {
    this.authFailures.inc({ reason: outcomeOf(error) });
  }

  /** Counts a charge attempt by how it ended, passing its result or error through unchanged. */
  async countCharge<T>(attempt: Promise<T>): Promise<T> {
    return this.count(attempt, (outcome: Outcome) => this.charges.inc({ outcome }));
  }

  /** Counts a hold attempt by how it ended, passing its result or error through unchanged. */
  async countHold<T>(attempt: Promise<T>): Promise<T> {
    return this.count(attempt, (outcome: Outcome) => this.holds.inc({ outcome }));
  }

  async countCredit<T extends { amount_minor: number }>(transactionType: string, attempt: Promise<T>): Promise<T> {
    const result = await this.count(attempt, (outcome: Outcome) =>
      this.credits.inc({ transaction_type: transactionType, outcome }),
    );
    this.creditsMinor.inc({ transaction_type: transactionType }, result.amount_minor);
    return result;
  }

  /** A credit applied outside the credits API (Stripe webhooks): `null` when it was already applied. */
  creditRecorded(transactionType: string, amountMinor: number | null): void {
    this.credits.inc({
      transaction_type: transactionType,
      outcome: amountMinor === null ? 'credit_exists' : 'success',
    });
    if (amountMinor !== null) this.creditsMinor.inc({ transaction_type: transactionType }, amountMinor);
  }

  creditCheck(hasCredit: boolean): void {
    this.creditChecks.inc({ has_credit: String(hasCredit) });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async count<T>(attempt: Promise<T>, record: (outcome: Outcome) => void): Promise<T> {
    try {
      const result = await attempt;
      record('success');
      return result;
    } catch (error) {
      record(outcomeOf(error));
      throw error;
    }
  }
}
