import { useState } from 'preact/hooks';
import type {
  AnalyticsQuery,
  Granularity,
  RevenueAnalyticsResponse,
  UsageAnalyticsResponse,
} from '../../../src/admin-console/contract.js';
import { api, downloadUrl } from '../api.js';
import { ChartPanel, PALETTE } from '../components/ChartPanel.js';
import { Card, EmptyState, ErrorBanner, Loading, Mono, PageHeader, Stat } from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { GRANULARITIES, RANGE_CHOICES } from '../lib/choices.js';
import { bucketLabel, checkRange, lastDays } from '../lib/dates.js';
import { formatCount, formatMoney, formatRatio } from '../lib/format.js';
import { can } from '../lib/roles.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

export function AnalyticsPage() {
  const { me, environment } = useSession();
  const [preset, setPreset] = useState<number | 'custom'>(30);
  const [custom, setCustom] = useState(lastDays(30));
  const [granularity, setGranularity] = useState<Granularity>('day');
  const range = preset === 'custom' ? custom : lastDays(preset);
  const rangeCheck = checkRange(range.start, range.end);
  const query: AnalyticsQuery = { environment, start: range.start, end: range.end, granularity };
  const key = JSON.stringify(query);
  const valid = !('error' in rangeCheck);
  const usage = useLoad(
    () => (valid ? api.get<UsageAnalyticsResponse>('/analytics/usage', query) : Promise.resolve(undefined)),
    [key],
  );
  const revenue = useLoad(
    () => (valid ? api.get<RevenueAnalyticsResponse>('/analytics/revenue', query) : Promise.resolve(undefined)),
    [key],
  );
  const u = usage.data;
  const r = revenue.data;
  const money = (v: number) => formatMoney(v, r?.currency ?? 'USD');

  return (
    <div>
      <PageHeader
        title="Analytics"
        subtitle={`Usage and revenue of the ${environment} environment, in UTC days.`}
        actions={
          // Admins and up: the server builds the file from the same reports and audits the export.
          can(me.user.role, 'analytics:export') && valid ? (
            <span class="inline-fields">
              <a
                class="button"
                href={downloadUrl('/analytics/usage.csv', query)}
                download
                data-testid="export-usage-csv"
              >
                Usage CSV
              </a>
              <a
                class="button"
                href={downloadUrl('/analytics/revenue.csv', query)}
                download
                data-testid="export-revenue-csv"
              >
                Revenue CSV
              </a>
            </span>
          ) : null
        }
      />
      <div class="toolbar">
        <div class="segmented" role="group" aria-label="Range">
          {RANGE_CHOICES.map((d) => (
            <button type="button" key={d} aria-pressed={preset === d} onClick={() => setPreset(d)}>
              {d} days
            </button>
          ))}
          <button type="button" aria-pressed={preset === 'custom'} onClick={() => setPreset('custom')}>
            Custom
          </button>
        </div>
        {preset === 'custom' ? (
          <span class="inline-fields">
            <input
              type="date"
              class="input"
              aria-label="Start"
              value={custom.start}
              onInput={(e) => setCustom({ ...custom, start: e.currentTarget.value })}
            />
            <span class="muted">to</span>
            <input
              type="date"
              class="input"
              aria-label="End"
              value={custom.end}
              onInput={(e) => setCustom({ ...custom, end: e.currentTarget.value })}
            />
          </span>
        ) : null}
        <div class="segmented" role="group" aria-label="Granularity">
          {GRANULARITIES.map((g) => (
            <button type="button" key={g} aria-pressed={granularity === g} onClick={() => setGranularity(g)}>
              {g === 'day' ? 'Daily' : g === 'week' ? 'Weekly' : 'Monthly'}
            </button>
          ))}
        </div>
      </div>
      <ErrorBanner message={'error' in rangeCheck ? rangeCheck.error : null} />
      <ErrorBanner message={usage.error} onRetry={usage.reload} />
      <ErrorBanner message={revenue.error} onRetry={revenue.reload} />
      {(usage.loading && !u) || (revenue.loading && !r) ? <Loading /> : null}
      {u ? (
        <>
          <div class="stats-grid">
            <Stat
              label="Charges"
              value={formatCount(u.totals.charges)}
              hint={`${formatCount(u.totals.unique_charged_accounts)} accounts`}
              testId="total-charges"
            />
            <Stat label="Paid uses" value={formatCount(u.totals.paid_uses)} testId="total-paid" />
            <Stat
              label="Free uses"
              value={formatCount(u.totals.free_uses)}
              hint={`${formatCount(u.totals.daily_free_uses)} daily · ${formatCount(u.totals.one_time_free_uses)} one-time`}
              testId="total-free"
            />
            <Stat
              label="Credit checks"
              value={formatCount(u.totals.credit_checks)}
              hint={`${formatCount(u.totals.denied_credit_checks)} denied (${formatRatio(u.totals.denied_credit_checks, u.totals.credit_checks)})`}
            />
            <Stat label="New accounts" value={formatCount(u.totals.new_accounts)} />
            {r ? (
              <Stat
                label="Revenue"
                value={money(r.totals.revenue_minor)}
                hint={`${formatCount(r.totals.purchases)} purchases`}
                testId="total-revenue"
              />
            ) : null}
          </div>
          <ChartPanel
            title="Uses: paid and free"
            testId="usage-chart"
            stacked
            labels={u.buckets.map((b) => bucketLabel(b.start, u.granularity))}
            series={[
              { label: 'Paid uses', values: u.buckets.map((b) => b.paid_uses), color: PALETTE.blue },
              { label: 'Free uses', values: u.buckets.map((b) => b.free_uses), color: PALETTE.teal },
            ]}
          />
          <ChartPanel
            title="Credit checks and denials"
            testId="checks-chart"
            labels={u.buckets.map((b) => bucketLabel(b.start, u.granularity))}
            series={[
              { label: 'Credit checks', values: u.buckets.map((b) => b.credit_checks), color: PALETTE.grey },
              { label: 'Denied', values: u.buckets.map((b) => b.denied_credit_checks), color: PALETTE.red },
            ]}
          />
        </>
      ) : null}
      {r ? (
        <ChartPanel
          title={`Revenue and credits added (${r.currency})`}
          testId="revenue-chart"
          format={money}
          labels={r.buckets.map((b) => bucketLabel(b.start, r.granularity))}
          series={[
            { label: 'Revenue', values: r.buckets.map((b) => b.revenue_minor), color: PALETTE.green },
            {
              label: 'Purchased credits',
              values: r.buckets.map((b) => b.credits_added_minor.purchase),
              color: PALETTE.blue,
            },
            { label: 'Grants', values: r.buckets.map((b) => b.credits_added_minor.grant), color: PALETTE.teal },
            { label: 'Refunds', values: r.buckets.map((b) => b.credits_added_minor.refund), color: PALETTE.amber },
            {
              label: 'Adjustments',
              values: r.buckets.map((b) => b.credits_added_minor.adjustment),
              color: PALETTE.violet,
            },
          ]}
        />
      ) : null}
      {u ? (
        <>
          <ChartPanel
            title="New accounts"
            testId="accounts-chart"
            type="line"
            labels={u.buckets.map((b) => bucketLabel(b.start, u.granularity))}
            series={[{ label: 'New accounts', values: u.buckets.map((b) => b.new_accounts), color: PALETTE.violet }]}
          />
          <Card title="Top accounts by uses">
            {u.top_accounts.length === 0 ? (
              <EmptyState title="No uses in this range." />
            ) : (
              <table class="table compact" data-testid="top-accounts">
                <thead>
                  <tr>
                    <th>Account</th>
                    <th>Provider</th>
                    <th class="num">Uses</th>
                  </tr>
                </thead>
                <tbody>
                  {u.top_accounts.map((a) => (
                    <tr key={a.account_id}>
                      <td>
                        <Link href={`/accounts/${a.account_id}`}>{a.external_id}</Link>
                      </td>
                      <td>
                        <Mono>{a.oauth_provider}</Mono>
                      </td>
                      <td class="num">{formatCount(a.uses)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </>
      ) : null}
    </div>
  );
}
