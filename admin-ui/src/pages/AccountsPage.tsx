import { useState } from 'preact/hooks';
import type { AccountListResponse, AccountStatus, ListAccountsQuery } from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import {
  AccountStatusBadge,
  Card,
  EmptyState,
  ErrorBanner,
  Loading,
  Money,
  PageHeader,
  Pager,
  Time,
} from '../components/ui.js';
import { useCursorPages, useLoad } from '../hooks.js';
import { formatCount } from '../lib/format.js';
import { toQueryString } from '../lib/query.js';
import { Link, navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';

export function AccountsPage() {
  const { environment } = useSession();
  const { query } = useLocation();
  const filters: ListAccountsQuery = {
    environment,
    q: query.get('q') ?? undefined,
    status: (query.get('status') as AccountStatus | null) ?? undefined,
    provider: query.get('provider') ?? undefined,
  };
  const filterKey = JSON.stringify(filters);
  const pages = useCursorPages(filterKey);
  const list = useLoad(
    () => api.get<AccountListResponse>('/accounts', { ...filters, cursor: pages.cursor, limit: 25 }),
    [filterKey, pages.cursor],
  );
  const [search, setSearch] = useState(filters.q ?? '');
  const [provider, setProvider] = useState(filters.provider ?? '');

  const apply = (changes: Partial<ListAccountsQuery>) => {
    const next = { q: filters.q, status: filters.status, provider: filters.provider, ...changes };
    navigate(`/accounts${toQueryString(next)}`, { replace: true });
  };

  return (
    <div>
      <PageHeader
        title="Accounts"
        subtitle={`End users of the ${environment} environment: search by external id, email or account id.`}
      />
      <Card>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            apply({ q: search.trim() || undefined, provider: provider.trim() || undefined });
          }}
        >
          <input
            class="input wide"
            type="search"
            placeholder="External id, email or account id"
            aria-label="Search accounts"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
          <input
            class="input"
            placeholder="Provider, e.g. oauth:google"
            aria-label="Provider"
            value={provider}
            onInput={(e) => setProvider(e.currentTarget.value)}
          />
          <select
            class="input"
            aria-label="Status"
            value={filters.status ?? ''}
            onChange={(e) => apply({ status: (e.currentTarget.value || undefined) as AccountStatus | undefined })}
          >
            <option value="">Any status</option>
            <option value="active">Active</option>
            <option value="suspended">Suspended</option>
            <option value="closed">Closed</option>
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
          <EmptyState title="No accounts match.">
            Accounts appear when an agent first checks or charges a user.
          </EmptyState>
        ) : (
          <div class="table-wrap">
            <table class="table" data-testid="accounts-table">
              <thead>
                <tr>
                  <th>External id</th>
                  <th>Provider</th>
                  <th>Email</th>
                  <th>Status</th>
                  <th class="num">Balance</th>
                  <th class="num">Total uses</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <Link href={`/accounts/${a.id}`} class="strong">
                        {a.external_id}
                      </Link>
                      {a.display_name ? <div class="muted small">{a.display_name}</div> : null}
                    </td>
                    <td>{a.oauth_provider}</td>
                    <td class="clip">{a.customer_email ?? '—'}</td>
                    <td>
                      <AccountStatusBadge status={a.status} />
                    </td>
                    <td class="num">
                      <Money minor={a.balance_minor} currency={a.currency} />
                    </td>
                    <td class="num">{formatCount(a.total_uses)}</td>
                    <td class="nowrap">
                      <Time iso={a.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager page={pages.page} nextCursor={list.data?.next_cursor} onNext={pages.next} onPrevious={pages.previous} />
      </Card>
    </div>
  );
}
