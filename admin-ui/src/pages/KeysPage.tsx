import { useState } from 'preact/hooks';
import type { ApiKeyStatus, KeyListResponse, ListKeysQuery } from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import { useKeyActions } from '../components/useKeyActions.js';
import {
  Card,
  EmptyState,
  ErrorBanner,
  KeyStatusBadge,
  Loading,
  Mono,
  PageHeader,
  Pager,
  Time,
} from '../components/ui.js';
import { useCursorPages, useLoad } from '../hooks.js';
import { formatCount } from '../lib/format.js';
import { toQueryString } from '../lib/query.js';
import { can } from '../lib/roles.js';
import { Link, navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';

function positiveInt(text: string | null): number | undefined {
  return text && /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

export function KeysPage() {
  const { me, environment } = useSession();
  const { query } = useLocation();
  const filters: ListKeysQuery = {
    environment,
    status: (query.get('status') as ApiKeyStatus | null) ?? undefined,
    q: query.get('q') ?? undefined,
    expiring_within_days: positiveInt(query.get('expiring_within_days')),
    unused_for_days: positiveInt(query.get('unused_for_days')),
  };
  const filterKey = JSON.stringify(filters);
  const pages = useCursorPages(filterKey);
  const list = useLoad(
    () => api.get<KeyListResponse>('/keys', { ...filters, cursor: pages.cursor, limit: 25 }),
    [filterKey, pages.cursor],
  );
  const actions = useKeyActions(list.reload);
  const [search, setSearch] = useState(filters.q ?? '');
  const writable = can(me.user.role, 'keys:write');

  const setFilter = (name: string, value: string | undefined) => {
    const next = {
      status: filters.status,
      q: filters.q,
      expiring_within_days: filters.expiring_within_days,
      unused_for_days: filters.unused_for_days,
      [name]: value,
    };
    navigate(`/keys${toQueryString(next)}`, { replace: true });
  };

  return (
    <div>
      <PageHeader
        title="API keys"
        subtitle={`Keys of the ${environment} environment. A key's secret is shown once, when it is created or rotated.`}
        actions={
          writable ? (
            <button type="button" class="button primary" onClick={actions.create} data-testid="create-key">
              Create key
            </button>
          ) : null
        }
      />
      <Card>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter('q', search.trim() || undefined);
          }}
        >
          <input
            class="input"
            type="search"
            placeholder="Name or key prefix"
            aria-label="Search keys"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
          <select
            class="input"
            aria-label="Status"
            value={filters.status ?? ''}
            onChange={(e) => setFilter('status', e.currentTarget.value || undefined)}
          >
            <option value="">Any status</option>
            <option value="active">Active</option>
            <option value="rotating">Rotating</option>
            <option value="revoked">Revoked</option>
          </select>
          <select
            class="input"
            aria-label="Expiring within"
            value={String(filters.expiring_within_days ?? '')}
            onChange={(e) => setFilter('expiring_within_days', e.currentTarget.value || undefined)}
          >
            <option value="">Any expiry</option>
            <option value="7">Expiring within 7 days</option>
            <option value="14">Expiring within 14 days</option>
            <option value="30">Expiring within 30 days</option>
          </select>
          <select
            class="input"
            aria-label="Unused for"
            value={String(filters.unused_for_days ?? '')}
            onChange={(e) => setFilter('unused_for_days', e.currentTarget.value || undefined)}
          >
            <option value="">Any last use</option>
            <option value="7">Unused for 7 days</option>
            <option value="30">Unused for 30 days</option>
            <option value="90">Unused for 90 days</option>
          </select>
          <button type="submit" class="button">
            Search
          </button>
        </form>
        <ErrorBanner message={list.error} onRetry={list.reload} />
        {!list.data ? (
          list.loading ? (
            <Loading />
          ) : null
        ) : list.data.items.length === 0 ? (
          <EmptyState title="No keys match.">
            {writable ? 'Create one with “Create key”; its secret is shown once.' : 'Ask an admin to create one.'}
          </EmptyState>
        ) : (
          <div class="table-wrap">
            <table class="table" data-testid="keys-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Prefix</th>
                  <th>Permissions</th>
                  <th>Status</th>
                  <th>Last used</th>
                  <th>Expires</th>
                  <th class="num" title="Requests in the last 7 days">
                    7 days
                  </th>
                  <th class="num" title="Rate limit, requests per minute">
                    Limit
                  </th>
                  {writable ? <th>Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((key) => (
                  <tr key={key.id} data-key-id={key.id}>
                    <td class="name-cell">
                      <Link href={`/keys/${key.id}`} class="strong">
                        {key.name}
                      </Link>
                      <div class="muted small ellipsis" title={key.description ?? undefined}>
                        {key.description ? `${key.description} · ` : ''}by {key.created_by.email ?? 'unknown'}
                      </div>
                    </td>
                    <td>
                      <Mono>{key.key_prefix}…</Mono>
                    </td>
                    <td>
                      {key.permissions.map((p) => (
                        <span class="chip" key={p}>
                          {p}
                        </span>
                      ))}
                    </td>
                    <td>
                      <KeyStatusBadge apiKey={key} />
                    </td>
                    <td class="nowrap">
                      <Time iso={key.last_used_at} relative />
                      {key.last_used_ip ? <div class="muted small">{key.last_used_ip}</div> : null}
                    </td>
                    <td class="nowrap">
                      {key.expires_at ? <Time iso={key.expires_at} dateOnly /> : <span class="muted">never</span>}
                    </td>
                    <td class="num">{formatCount(key.requests_7d)}</td>
                    <td class="num">
                      {key.rate_limit_per_minute ? (
                        `${formatCount(key.rate_limit_per_minute)}/min`
                      ) : (
                        <span class="muted">default</span>
                      )}
                    </td>
                    {writable ? (
                      <td>
                        <div class="row-actions">
                          {key.status === 'active' ? (
                            <button
                              type="button"
                              class="button small"
                              onClick={() => actions.rotate(key)}
                              data-testid="rotate-key"
                            >
                              Rotate
                            </button>
                          ) : null}
                          {key.status !== 'revoked' ? (
                            <button
                              type="button"
                              class="button small danger-outline"
                              onClick={() => actions.revoke(key)}
                              data-testid="revoke-key"
                            >
                              Revoke
                            </button>
                          ) : null}
                        </div>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager page={pages.page} nextCursor={list.data?.next_cursor} onNext={pages.next} onPrevious={pages.previous} />
      </Card>
      {actions.dialog}
    </div>
  );
}
