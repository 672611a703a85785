import { useState } from 'preact/hooks';
import type {
  AuditActorType,
  AuditListResponse,
  AuditOutcome,
  AuditResourceType,
  ListAuditQuery,
} from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import { AuditTable } from '../components/AuditTable.js';
import { Card, ErrorBanner, Loading, PageHeader, Pager } from '../components/ui.js';
import { useCursorPages, useLoad } from '../hooks.js';
import { toQueryString } from '../lib/query.js';
import { navigate, useLocation } from '../router.js';

const FIELDS = [
  'actor_type',
  'actor_id',
  'action',
  'resource_type',
  'resource_id',
  'outcome',
  'since',
  'until',
] as const;

export function AuditPage() {
  const { query } = useLocation();
  const filters: ListAuditQuery = {};
  for (const field of FIELDS) {
    const value = query.get(field);
    if (value) (filters as Record<string, string>)[field] = value;
  }
  const filterKey = JSON.stringify(filters);
  const pages = useCursorPages(filterKey);
  const list = useLoad(
    () => api.get<AuditListResponse>('/audit', { ...filters, cursor: pages.cursor, limit: 50 }),
    [filterKey, pages.cursor],
  );
  const [action, setAction] = useState(filters.action ?? '');
  const [since, setSince] = useState(filters.since?.slice(0, 10) ?? '');
  const [until, setUntil] = useState(filters.until?.slice(0, 10) ?? '');

  const apply = (changes: Partial<ListAuditQuery>) => {
    navigate(`/audit${toQueryString({ ...filters, ...changes })}`, { replace: true });
  };

  return (
    <div>
      <PageHeader title="Audit log" subtitle="Every change and every denied attempt, newest first. Append-only." />
      <Card>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            apply({
              action: action.trim() || undefined,
              since: since ? `${since}T00:00:00.000Z` : undefined,
              until: until ? new Date(Date.parse(`${until}T00:00:00Z`) + 86_400_000).toISOString() : undefined,
            });
          }}
        >
          <input
            class="input"
            placeholder="Action, e.g. key.rotate"
            aria-label="Action"
            value={action}
            onInput={(e) => setAction(e.currentTarget.value)}
          />
          <select
            class="input"
            aria-label="Actor type"
            value={filters.actor_type ?? ''}
            onChange={(e) => apply({ actor_type: (e.currentTarget.value || undefined) as AuditActorType | undefined })}
          >
            <option value="">Any actor</option>
            <option value="admin_user">Operator</option>
            <option value="api_key">API key</option>
            <option value="cli">CLI</option>
            <option value="system">System</option>
          </select>
          <select
            class="input"
            aria-label="Resource type"
            value={filters.resource_type ?? ''}
            onChange={(e) =>
              apply({
                resource_type: (e.currentTarget.value || undefined) as AuditResourceType | undefined,
                resource_id: undefined,
              })
            }
          >
            <option value="">Any resource</option>
            <option value="api_key">API key</option>
            <option value="account">Account</option>
            <option value="admin_user">Operator</option>
            <option value="admin_session">Session</option>
          </select>
          <select
            class="input"
            aria-label="Outcome"
            value={filters.outcome ?? ''}
            onChange={(e) => apply({ outcome: (e.currentTarget.value || undefined) as AuditOutcome | undefined })}
          >
            <option value="">Any outcome</option>
            <option value="success">Success</option>
            <option value="denied">Denied</option>
            <option value="failure">Failure</option>
          </select>
          <input
            type="date"
            class="input"
            aria-label="From"
            value={since}
            onInput={(e) => setSince(e.currentTarget.value)}
          />
          <input
            type="date"
            class="input"
            aria-label="To"
            value={until}
            onInput={(e) => setUntil(e.currentTarget.value)}
          />
          <button type="submit" class="button">
            Filter
          </button>
          {Object.keys(filters).length > 0 ? (
            <button type="button" class="button ghost" onClick={() => navigate('/audit', { replace: true })}>
              Clear
            </button>
          ) : null}
        </form>
        {filters.resource_id ? (
          <p class="muted small">
            Showing entries of {filters.resource_type ?? 'resource'} <code class="mono">{filters.resource_id}</code>
          </p>
        ) : null}
        <ErrorBanner message={list.error} onRetry={list.reload} />
        {!list.data ? list.loading ? <Loading /> : null : <AuditTable entries={list.data.items} />}
        <Pager page={pages.page} nextCursor={list.data?.next_cursor} onNext={pages.next} onPrevious={pages.previous} />
      </Card>
    </div>
  );
}
