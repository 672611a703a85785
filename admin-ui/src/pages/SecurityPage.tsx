import { useState } from 'preact/hooks';
import type {
  ApiKeySummary,
  AuthFailuresResponse,
  KeysAnalyticsResponse,
} from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import { ChartPanel, PALETTE } from '../components/ChartPanel.js';
import {
  Card,
  EmptyState,
  ErrorBanner,
  KeyStatusBadge,
  Loading,
  Mono,
  PageHeader,
  Stat,
  Time,
} from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { bucketLabel, lastDays } from '../lib/dates.js';
import { formatCount } from '../lib/format.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

const REASON_COLORS = [
  PALETTE.red,
  PALETTE.amber,
  PALETTE.violet,
  PALETTE.grey,
  PALETTE.pink,
  PALETTE.blue,
  PALETTE.teal,
];

function KeyList(props: { keys: ApiKeySummary[]; empty: string; testId: string }) {
  if (props.keys.length === 0) return <EmptyState title={props.empty} />;
  return (
    <table class="table compact" data-testid={props.testId}>
      <thead>
        <tr>
          <th>Key</th>
          <th>Status</th>
          <th>Last used</th>
          <th>Expires</th>
        </tr>
      </thead>
      <tbody>
        {props.keys.map((k) => (
          <tr key={k.id}>
            <td>
              <Link href={`/keys/${k.id}`}>{k.name}</Link> <Mono>{k.key_prefix}…</Mono>
            </td>
            <td>
              <KeyStatusBadge apiKey={k} />
            </td>
            <td>
              <Time iso={k.last_used_at} relative />
            </td>
            <td>{k.expires_at ? <Time iso={k.expires_at} /> : 'never'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function SecurityPage() {
  const { environment } = useSession();
  const [days, setDays] = useState(7);
  const range = lastDays(days);
  const failures = useLoad(
    () => api.get<AuthFailuresResponse>('/analytics/auth-failures', { ...range, granularity: 'day' }),
    [days],
  );
  const keys = useLoad(
    () => api.get<KeysAnalyticsResponse>('/analytics/keys', { environment, ...range, granularity: 'day' }),
    [days, environment],
  );
  const f = failures.data;
  const k = keys.data;
  const reasons = f ? Object.keys(f.totals.by_reason).sort() : [];

  return (
    <div>
      <PageHeader
        title="Security"
        subtitle="Failed API-key authentications (all environments), operator sign-in failures, and keys that need attention."
      />
      <div class="toolbar">
        <div class="segmented" role="group" aria-label="Range">
          {[1, 7, 30, 90].map((d) => (
            <button type="button" key={d} aria-pressed={days === d} onClick={() => setDays(d)}>
              {d === 1 ? 'Today' : `${d} days`}
            </button>
          ))}
        </div>
      </div>
      <ErrorBanner message={failures.error} onRetry={failures.reload} />
      <ErrorBanner message={keys.error} onRetry={keys.reload} />
      {!f && failures.loading ? <Loading /> : null}
      {f ? (
        <>
          <div class="stats-grid">
            <Stat label="Failed key authentications" value={formatCount(f.totals.total)} testId="failed-auth-total" />
            <Stat label="Operator sign-in failures" value={formatCount(f.admin_login_failures.total)} />
            <Stat label="Locked operators" value={formatCount(f.locked_admins.length)} />
            {k ? <Stat label="Keys unused 30 days" value={formatCount(k.unused_30d.length)} /> : null}
            {k ? <Stat label="Keys expiring in 14 days" value={formatCount(k.expiring_14d.length)} /> : null}
          </div>
          <ChartPanel
            title="Failed API-key authentications by reason"
            testId="auth-failures-chart"
            stacked
            labels={f.buckets.map((b) => bucketLabel(b.start, f.granularity))}
            series={reasons.map((reason, i) => ({
              label: reason,
              color: REASON_COLORS[i % REASON_COLORS.length],
              values: f.buckets.map((b) => b.by_reason[reason] ?? 0),
            }))}
          />
          <div class="two-col">
            <Card title="Top key prefixes">
              {f.top_key_prefixes.length === 0 ? (
                <EmptyState title="No failures by key prefix." />
              ) : (
                <table class="table compact" data-testid="top-prefixes">
                  <thead>
                    <tr>
                      <th>Key prefix</th>
                      <th class="num">Failures</th>
                    </tr>
                  </thead>
                  <tbody>
                    {f.top_key_prefixes.map((p) => (
                      <tr key={p.key_prefix}>
                        <td>
                          <Mono>{p.key_prefix}</Mono>
                        </td>
                        <td class="num">{formatCount(p.count)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card title="Top client IPs">
              {f.top_client_ips.length === 0 ? (
                <EmptyState title="No failures by IP." />
              ) : (
                <table class="table compact" data-testid="top-ips">
                  <thead>
                    <tr>
                      <th>Client IP</th>
                      <th class="num">Failures</th>
                    </tr>
                  </thead>
                  <tbody>
                    {f.top_client_ips.map((p) => (
                      <tr key={p.client_ip}>
                        <td>
                          <Mono>{p.client_ip}</Mono>
                        </td>
                        <td class="num">{formatCount(p.count)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
          </div>
          <div class="two-col">
            <Card title="Rate-limited (429) by key">
              {f.rate_limited_by_key.length === 0 ? (
                <EmptyState title="No key hit its rate limit." />
              ) : (
                <table class="table compact">
                  <thead>
                    <tr>
                      <th>Key</th>
                      <th class="num">429s</th>
                    </tr>
                  </thead>
                  <tbody>
                    {f.rate_limited_by_key.map((r) => (
                      <tr key={r.key_id}>
                        <td>
                          <Link href={`/keys/${r.key_id}`}>{r.name}</Link> <Mono>{r.key_prefix}…</Mono>
                        </td>
                        <td class="num">{formatCount(r.count)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card title="Locked operators">
              {f.locked_admins.length === 0 ? (
                <EmptyState title="No operator is locked out." />
              ) : (
                <table class="table compact" data-testid="locked-admins">
                  <thead>
                    <tr>
                      <th>Operator</th>
                      <th>Locked until</th>
                    </tr>
                  </thead>
                  <tbody>
                    {f.locked_admins.map((a) => (
                      <tr key={a.id}>
                        <td>{a.email}</td>
                        <td>
                          <Time iso={a.locked_until} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
          </div>
        </>
      ) : null}
      {k ? (
        <div class="two-col">
          <Card title={`Unused for 30 days (${environment})`}>
            <KeyList keys={k.unused_30d} empty="Every key was used in the last 30 days." testId="unused-keys" />
          </Card>
          <Card title={`Expiring within 14 days (${environment})`}>
            <KeyList keys={k.expiring_14d} empty="No key expires in the next 14 days." testId="expiring-keys" />
          </Card>
        </div>
      ) : null}
    </div>
  );
}
