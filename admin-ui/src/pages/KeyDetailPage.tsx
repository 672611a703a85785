import { useState } from 'preact/hooks';
import type { AuditListResponse, KeyDetailResponse, KeyUsageResponse } from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import { AuditTable } from '../components/AuditTable.js';
import { ChartPanel, PALETTE } from '../components/ChartPanel.js';
import { useKeyActions } from '../components/useKeyActions.js';
import {
  Card,
  EnvironmentBadge,
  ErrorBanner,
  KeyStatusBadge,
  Loading,
  Mono,
  PageHeader,
  Time,
} from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { formatCount } from '../lib/format.js';
import { can } from '../lib/roles.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

export const OUTCOME_SERIES = [
  { field: 'ok', label: 'OK', color: PALETTE.green },
  { field: 'unauthorized', label: '401', color: PALETTE.red },
  { field: 'forbidden', label: '403', color: PALETTE.amber },
  { field: 'payment_required', label: '402', color: PALETTE.violet },
  { field: 'rate_limited', label: '429', color: PALETTE.pink },
  { field: 'client_error', label: 'Other 4xx', color: PALETTE.grey },
  { field: 'server_error', label: '5xx', color: '#111827' },
] as const;

export function KeyDetailPage(props: { id: string }) {
  const { me } = useSession();
  const [days, setDays] = useState(7);
  const detail = useLoad(() => api.get<KeyDetailResponse>(`/keys/${props.id}`), [props.id]);
  const usage = useLoad(
    () => api.get<KeyUsageResponse>(`/keys/${props.id}/usage`, { days, granularity: days <= 2 ? 'hour' : 'day' }),
    [props.id, days],
  );
  const audit = useLoad(
    () => api.get<AuditListResponse>('/audit', { resource_type: 'api_key', resource_id: props.id, limit: 20 }),
    [props.id],
  );
  const reloadAll = () => {
    detail.reload();
    audit.reload();
  };
  const actions = useKeyActions(reloadAll);
  const key = detail.data?.key;
  const writable = can(me.user.role, 'keys:write');

  return (
    <div>
      <div class="crumbs">
        <Link href="/keys">← API keys</Link>
      </div>
      <ErrorBanner message={detail.error} onRetry={detail.reload} />
      {!key ? (
        detail.loading ? (
          <Loading />
        ) : null
      ) : (
        <>
          <PageHeader
            title={key.name}
            subtitle={
              <>
                <Mono>{key.key_prefix}…</Mono> <EnvironmentBadge environment={key.environment} />{' '}
                <KeyStatusBadge apiKey={key} />
              </>
            }
            actions={
              writable && key.status !== 'revoked' ? (
                <>
                  <button type="button" class="button" onClick={() => actions.edit(key)}>
                    Edit
                  </button>
                  {key.status === 'active' ? (
                    <button type="button" class="button" onClick={() => actions.rotate(key)}>
                      Rotate
                    </button>
                  ) : null}
                  <button type="button" class="button danger-outline" onClick={() => actions.revoke(key)}>
                    Revoke
                  </button>
                </>
              ) : null
            }
          />
          <div class="two-col">
            <Card title="Details">
              <dl class="kv">
                <dt>Description</dt>
                <dd>{key.description ?? '—'}</dd>
                <dt>Permissions</dt>
                <dd>
                  {key.permissions.map((p) => (
                    <span class="chip" key={p}>
                      {p}
                    </span>
                  ))}
                </dd>
                <dt>Created</dt>
                <dd>
                  <Time iso={key.created_at} /> by {key.created_by.email ?? '—'}
                </dd>
                <dt>Expires</dt>
                <dd>{key.expires_at ? <Time iso={key.expires_at} /> : 'never'}</dd>
                <dt>Last used</dt>
                <dd>
                  <Time iso={key.last_used_at} relative /> {key.last_used_ip ? `from ${key.last_used_ip}` : ''}
                </dd>
                <dt>Rate limit</dt>
                <dd>
                  {key.rate_limit_per_minute
                    ? `${formatCount(key.rate_limit_per_minute)} per minute`
                    : 'service default'}
                </dd>
                {key.grace_period_until ? (
                  <>
                    <dt>Grace until</dt>
                    <dd>
                      <Time iso={key.grace_period_until} />
                    </dd>
                  </>
                ) : null}
                {key.revoked_at ? (
                  <>
                    <dt>Revoked</dt>
                    <dd>
                      <Time iso={key.revoked_at} />
                    </dd>
                  </>
                ) : null}
                <dt>Key id</dt>
                <dd>
                  <Mono>{key.id}</Mono>
                </dd>
              </dl>
            </Card>
            <Card title="Rotation lineage">
              <ol class="lineage" data-testid="lineage">
                {detail.data!.lineage.map((k) => (
                  <li key={k.id} class={k.id === key.id ? 'current' : ''}>
                    {k.id === key.id ? <strong>{k.name}</strong> : <Link href={`/keys/${k.id}`}>{k.name}</Link>}{' '}
                    <Mono>{k.key_prefix}…</Mono> <KeyStatusBadge apiKey={k} />
                    <div class="muted small">
                      created <Time iso={k.created_at} />
                    </div>
                  </li>
                ))}
              </ol>
            </Card>
          </div>
          <div class="toolbar">
            <span class="muted">Requests over</span>
            <div class="segmented small" role="group" aria-label="Usage range">
              {[1, 7, 30, 90].map((d) => (
                <button type="button" key={d} aria-pressed={days === d} onClick={() => setDays(d)}>
                  {d === 1 ? '24 h' : `${d} days`}
                </button>
              ))}
            </div>
          </div>
          <ErrorBanner message={usage.error} onRetry={usage.reload} />
          {usage.data ? (
            <ChartPanel
              title="Requests by outcome"
              testId="key-usage"
              stacked
              labels={usage.data.buckets.map((b) =>
                usage.data!.granularity === 'hour'
                  ? b.start.slice(5, 13).replace('T', ' ') + 'h'
                  : b.start.slice(0, 10),
              )}
              series={OUTCOME_SERIES.map((s) => ({
                label: s.label,
                color: s.color,
                values: usage.data!.buckets.map((b) => b[s.field]),
              }))}
            />
          ) : null}
          <Card
            title="Audit entries"
            actions={<Link href={`/audit?resource_type=api_key&resource_id=${key.id}`}>All entries →</Link>}
          >
            <ErrorBanner message={audit.error} />
            {audit.data ? <AuditTable entries={audit.data.items} compact /> : null}
          </Card>
        </>
      )}
      {actions.dialog}
    </div>
  );
}
