import { Injectable } from '@nestjs/common';
import { OperatorsService } from '../admin-auth/operators.service.js';
import { ApiKeysService } from '../api-keys/api-keys.service.js';
import type { AuditActor } from '../audit/audit-actor.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { AnalyticsService } from '../analytics/analytics.service.js';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { toCsv, type CsvCell } from '../common/csv/csv.js';
import { Clock, utcDay } from '../common/time/clock.js';
import { KeyUsageRepository } from '../key-usage/key-usage.repository.js';
import { outcomeBuckets } from './console-keys.service.js';
import type {
  AuthFailuresResponse,
  Granularity,
  KeysAnalyticsResponse,
  OverviewResponse,
  RevenueAnalyticsResponse,
  RevenueFigures,
  UsageAnalyticsResponse,
  UsageFigures,
} from './contract.js';
import type { AnalyticsQueryDto, RevenueAnalyticsQueryDto } from './dto/analytics.dto.js';
import { auditEntry, iso, keySummary } from './presenters.js';

const DAY_MS = 86_400_000;

/** A report as a CSV file to download. */
export interface CsvExport {
  filename: string;
  body: string;
}

const USAGE_COLUMNS = [
  'charges',
  'paid_uses',
  'free_uses',
  'daily_free_uses',
  'one_time_free_uses',
  'credits_spent',
  'unique_charged_accounts',
  'new_accounts',
  'credit_checks',
  'denied_credit_checks',
] as const satisfies ReadonlyArray<keyof UsageFigures>;
const CREDIT_KINDS = ['purchase', 'grant', 'refund', 'adjustment', 'total'] as const;

/** The first day of the bucket `day` falls in: itself, its ISO week's Monday, or the 1st of its month. */
export function bucketStart(day: string, unit: Granularity): string {
  if (unit === 'day') return day;
  if (unit === 'month') return `${day.slice(0, 7)}-01`;
  const date = new Date(`${day}T00:00:00Z`);
  const sinceMonday = (date.getUTCDay() + 6) % 7;
  return utcDay(new Date(date.getTime() - sinceMonday * DAY_MS));
}

function addFigures<T extends object>(into: T, from: T): void {
  for (const [k, v] of Object.entries(from) as Array<[keyof T, unknown]>) {
    if (typeof v === 'number') (into[k] as number) += v;
    else if (v && typeof v === 'object') addFigures(into[k] as object, v);
  }
}

function zeroLike<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === 'number' ? 0 : v)) as T;
}

/** Daily rows summed into buckets (oldest first), with `aggregate` fixing what a sum gets wrong. */
function bucketed<F extends object>(
  days: Array<F & { date: string }>,
  unit: Granularity,
): Array<{ start: string } & F> {
  const buckets = new Map<string, { start: string } & F>();
  for (const { date, ...figures } of days) {
    const start = bucketStart(date, unit);
    let bucket = buckets.get(start);
    if (!bucket) {
      bucket = { start, ...zeroLike(figures as unknown as F) };
      buckets.set(start, bucket);
    }
    addFigures(bucket as F, figures as unknown as F);
  }
  return [...buckets.values()];
}

/** Overview cards and the analytics / security pages: the analytics:read service plus the console's counters. */
@Injectable()
export class ConsoleAnalyticsService {
  constructor(
    private readonly analytics: AnalyticsService,
    private readonly keys: ApiKeysService,
    private readonly usage: KeyUsageRepository,
    private readonly audit: AuditRepository,
    private readonly operators: OperatorsService,
    private readonly clock: Clock,
  ) {}

  async overview(environment: KeyEnvironment): Promise<OverviewResponse> {
    const now = this.clock.now();
    const since = new Date(now.getTime() - DAY_MS);
    const today = utcDay(now);
    const yesterday = utcDay(new Date(now.getTime() - DAY_MS));
    const [counts, usage, revenue, keys, failures, latest] = await Promise.all([
      this.analytics.overviewCounts(environment, since),
      this.analytics.usage({ environment }, {}),
      this.analytics.revenue({ environment }, { start: yesterday, end: today }),
      this.keys.statusCounts(environment, new Date(now.getTime() + 14 * DAY_MS)),
      this.usage.failureTotal(new Date(since.getTime() - (since.getTime() % 3_600_000))),
      this.audit.page({ limit: 9 }),
    ]);
    const revenueOf = (day: string) => revenue.days.find((d) => d.date === day)?.revenue_minor ?? 0;
    return {
      environment,
      accounts: { total: counts.accounts, new_24h: counts.new_accounts },
      charges_24h: { paid: counts.paid_charges, free: counts.free_charges },
      revenue: { currency: revenue.currency, today_minor: revenueOf(today), yesterday_minor: revenueOf(yesterday) },
      keys: { active: keys.active, rotating: keys.rotating, expiring_14d: keys.expiring },
      failed_auth_24h: failures,
      usage_30d: usage.days.map((d) => ({ date: d.date, paid_uses: d.paid_uses, free_uses: d.free_uses })),
      latest_audit: latest.slice(0, 8).map(auditEntry),
    };
  }

  async usageReport(query: AnalyticsQueryDto): Promise<UsageAnalyticsResponse> {
    const report = await this.analytics.usage(
      { environment: query.environment },
      { start: query.start, end: query.end },
    );
    const range = { start: report.start, end: report.end };
    const [unique, top] = await Promise.all([
      query.granularity === 'day'
        ? Promise.resolve(null)
        : this.analytics.uniqueChargedByBucket(query.environment, range, query.granularity),
      this.analytics.topAccounts(query.environment, range, 10),
    ]);
    const buckets = bucketed<UsageFigures>(report.days, query.granularity);
    if (unique) {
      const byBucket = new Map(unique.map((u) => [u.bucket, Number(u.accounts)]));
      for (const b of buckets) b.unique_charged_accounts = byBucket.get(b.start) ?? 0;
    }
    return {
      environment: query.environment,
      start: report.start,
      end: report.end,
      granularity: query.granularity,
      buckets,
      totals: report.totals,
      top_accounts: top.map((t) => ({
        account_id: t.account_id,
        oauth_provider: t.oauth_provider,
        external_id: t.external_id,
        uses: Number(t.uses),
      })),
    };
  }

  async revenueReport(query: RevenueAnalyticsQueryDto): Promise<RevenueAnalyticsResponse> {
    const report = await this.analytics.revenue(
      { environment: query.environment },
      { start: query.start, end: query.end, currency: query.currency },
    );
    return {
      environment: query.environment,
      currency: report.currency,
      start: report.start,
      end: report.end,
      granularity: query.granularity,
      buckets: bucketed<RevenueFigures>(report.days, query.granularity),
      totals: report.totals,
    };
  }

  /**
   * The usage report of {@link usageReport} (same call, same numbers) as CSV, one row per bucket;
   * audited as `analytics.export` (admins only: the route checks the role).
   */
  async usageCsv(query: AnalyticsQueryDto, actor: AuditActor): Promise<CsvExport> {
    const report = await this.usageReport(query);
    const rows: CsvCell[][] = report.buckets.map((b) => [b.start.slice(0, 10), ...USAGE_COLUMNS.map((c) => b[c])]);
    return this.exported(actor, 'usage', report, null, toCsv(['bucket_start', ...USAGE_COLUMNS], rows), rows.length);
  }

  /** The revenue report of {@link revenueReport} (same call, same numbers) as CSV; audited as `analytics.export`. */
  async revenueCsv(query: RevenueAnalyticsQueryDto, actor: AuditActor): Promise<CsvExport> {
    const report = await this.revenueReport(query);
    const rows: CsvCell[][] = report.buckets.map((b) => [
      b.start.slice(0, 10),
      report.currency,
      b.purchases,
      b.purchase_amount_minor,
      b.revenue_minor,
      ...CREDIT_KINDS.map((k) => b.credits_added_minor[k]),
    ]);
    const header = [
      'bucket_start',
      'currency',
      'purchases',
      'purchase_amount_minor',
      'revenue_minor',
      ...CREDIT_KINDS.map((k) => `credits_added_${k}_minor`),
    ];
    return this.exported(actor, 'revenue', report, report.currency, toCsv(header, rows), rows.length);
  }

  private async exported(
    actor: AuditActor,
    name: 'usage' | 'revenue',
    report: { environment: KeyEnvironment; start: string; end: string; granularity: string },
    currency: string | null,
    body: string,
    rows: number,
  ): Promise<CsvExport> {
    await this.audit.record(actor, {
      action: 'analytics.export',
      resourceType: null,
      resourceId: null,
      environment: report.environment,
      after: {
        report: name,
        format: 'csv',
        start: report.start,
        end: report.end,
        granularity: report.granularity,
        ...(currency === null ? {} : { currency }),
        rows,
      },
    });
    const filename = `ciris-billing-${name}-${report.environment}-${report.start}-${report.end}-${report.granularity}.csv`;
    return { filename, body };
  }

  async authFailures(query: AnalyticsQueryDto): Promise<AuthFailuresResponse> {
    const range = this.analytics.dayRange({ start: query.start, end: query.end });
    const start = new Date(`${range.start}T00:00:00Z`);
    const end = new Date(Date.parse(`${range.end}T00:00:00Z`) + DAY_MS);
    const [failures, prefixes, ips, limited, logins, locked] = await Promise.all([
      this.usage.failureBuckets(start, end, query.granularity),
      this.usage.topFailures('key_prefix', start, end, 10),
      this.usage.topFailures('client_ip', start, end, 10),
      this.usage.rateLimitedByKey(start, end, 10),
      // Wrong step-up codes count toward the sign-in lock, so they count here too.
      this.audit.countFailuresByBucket(['admin.login_failed', 'admin.reauth'], start, end, query.granularity),
      this.operators.lockedOperators(),
    ]);
    const buckets = new Map<string, { start: string; total: number; by_reason: Record<string, number> }>();
    const totals = { total: 0, by_reason: {} as Record<string, number> };
    for (const row of failures) {
      const key = iso(row.bucket);
      const bucket = buckets.get(key) ?? { start: key, total: 0, by_reason: {} };
      const count = Number(row.count);
      bucket.total += count;
      bucket.by_reason[row.reason] = (bucket.by_reason[row.reason] ?? 0) + count;
      totals.total += count;
      totals.by_reason[row.reason] = (totals.by_reason[row.reason] ?? 0) + count;
      buckets.set(key, bucket);
    }
    const loginBuckets = logins.map((l) => ({ start: iso(l.bucket), count: Number(l.count) }));
    return {
      start: range.start,
      end: range.end,
      granularity: query.granularity,
      buckets: [...buckets.values()],
      totals,
      top_key_prefixes: prefixes.map((p) => ({ key_prefix: p.value, count: Number(p.count) })),
      top_client_ips: ips.map((p) => ({ client_ip: p.value, count: Number(p.count) })),
      rate_limited_by_key: limited.map((l) => ({
        key_id: l.key_id,
        name: l.name,
        key_prefix: l.key_prefix,
        count: Number(l.count),
      })),
      admin_login_failures: { total: loginBuckets.reduce((n, b) => n + b.count, 0), buckets: loginBuckets },
      locked_admins: locked.map((l) => ({ id: l.id, email: l.email, locked_until: iso(l.locked_until) })),
    };
  }

  async keysReport(query: AnalyticsQueryDto): Promise<KeysAnalyticsResponse> {
    const now = this.clock.now();
    const range = this.analytics.dayRange({ start: query.start, end: query.end });
    const start = new Date(`${range.start}T00:00:00Z`);
    const end = new Date(Date.parse(`${range.end}T00:00:00Z`) + DAY_MS);
    const [counts, unused, expiring, rows] = await Promise.all([
      this.keys.statusCounts(query.environment, new Date(now.getTime() + 14 * DAY_MS)),
      this.keys.listPage({
        environment: query.environment,
        status: 'active',
        unusedForDays: 30,
        after: null,
        limit: 100,
      }),
      this.keys.listPage({
        environment: query.environment,
        status: 'active',
        expiringWithinDays: 14,
        after: null,
        limit: 100,
      }),
      this.usage.environmentBuckets(query.environment, start, end, query.granularity),
    ]);
    const starts: Date[] = [];
    for (let day = range.start; day <= range.end; day = utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS))) {
      const bucket = bucketStart(day, query.granularity);
      if (starts.length === 0 || starts[starts.length - 1].toISOString().slice(0, 10) !== bucket) {
        starts.push(new Date(`${bucket}T00:00:00Z`));
      }
    }
    const usage = await this.usage.totalsByKey(
      [...unused, ...expiring].map((k) => k.keyId),
      new Date(now.getTime() - 7 * DAY_MS),
    );
    return {
      environment: query.environment,
      by_status: { active: counts.active, rotating: counts.rotating, revoked: counts.revoked },
      unused_30d: unused.slice(0, 100).map((k) => keySummary(k, usage.get(k.keyId) ?? 0)),
      expiring_14d: expiring.slice(0, 100).map((k) => keySummary(k, usage.get(k.keyId) ?? 0)),
      requests: { start: range.start, end: range.end, ...outcomeBuckets(rows, starts) },
    };
  }
}
