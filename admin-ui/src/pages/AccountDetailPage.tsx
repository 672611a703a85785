import { useState } from 'preact/hooks';
import type {
  AccountDetailResponse,
  ActiveHold,
  CreditChecksResponse,
  LedgerQuery,
  LedgerResponse,
} from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import { AdjustBalanceDialog, CloseAccountDialog, StatusChangeDialog } from '../components/AccountDialogs.js';
import { ChartPanel, PALETTE } from '../components/ChartPanel.js';
import {
  AccountStatusBadge,
  Badge,
  Card,
  EmptyState,
  EnvironmentBadge,
  ErrorBanner,
  Loading,
  Money,
  Mono,
  Notice,
  PageHeader,
  Pager,
  Stat,
  Time,
} from '../components/ui.js';
import { useCursorPages, useLoad } from '../hooks.js';
import { formatCount, formatMoney } from '../lib/format.js';
import { can } from '../lib/roles.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

type Open = 'none' | 'suspend' | 'reactivate' | 'adjust' | 'close';

/** What a hold reserves, in the operator's words. */
const FUNDED_BY: Record<ActiveHold['funded_by'], string> = {
  balance: 'balance',
  free_use: 'one-time free use',
  daily_free_use: 'daily free use',
};

function heldFreeUses(free: number, daily: number): string | undefined {
  const parts = [
    free > 0 ? `${formatCount(free)} one-time free use${free === 1 ? '' : 's'}` : null,
    daily > 0 ? `${formatCount(daily)} daily free use${daily === 1 ? '' : 's'}` : null,
  ].filter(Boolean);
  return parts.length > 0 ? `and ${parts.join(', ')}` : undefined;
}

export function AccountDetailPage(props: { id: string }) {
  const { me } = useSession();
  const detail = useLoad(() => api.get<AccountDetailResponse>(`/accounts/${props.id}`), [props.id]);
  const [ledgerType, setLedgerType] = useState<LedgerQuery['type'] | ''>('');
  const ledgerPages = useCursorPages(`${props.id}:${ledgerType}`);
  const ledger = useLoad(
    () =>
      api.get<LedgerResponse>(`/accounts/${props.id}/ledger`, {
        type: ledgerType || undefined,
        cursor: ledgerPages.cursor,
        limit: 25,
      }),
    [props.id, ledgerType, ledgerPages.cursor],
  );
  const checks = useLoad(
    () => api.get<CreditChecksResponse>(`/accounts/${props.id}/credit-checks`, { limit: 10 }),
    [props.id],
  );
  const [open, setOpen] = useState<Open>('none');
  const [done, setDone] = useState<string | null>(null);
  const account = detail.data?.account;
  const writable = can(me.user.role, 'accounts:write');

  const finish = (message: string) => {
    setOpen('none');
    setDone(message);
    detail.reload();
    ledger.reload();
    checks.reload();
  };

  return (
    <div>
      <div class="crumbs">
        <Link href="/accounts">← Accounts</Link>
      </div>
      <ErrorBanner message={detail.error} onRetry={detail.reload} />
      {!account ? (
        detail.loading ? (
          <Loading />
        ) : null
      ) : (
        <>
          <PageHeader
            title={account.external_id}
            subtitle={
              <>
                {account.oauth_provider} · <EnvironmentBadge environment={account.environment} />{' '}
                <AccountStatusBadge status={account.status} />
                {account.status_reason ? <span class="muted"> — {account.status_reason}</span> : null}
              </>
            }
            actions={
              <>
                {writable && account.status === 'active' ? (
                  <button
                    type="button"
                    class="button danger-outline"
                    onClick={() => setOpen('suspend')}
                    data-testid="suspend-account"
                  >
                    Suspend
                  </button>
                ) : null}
                {writable && account.status === 'suspended' ? (
                  <button
                    type="button"
                    class="button"
                    onClick={() => setOpen('reactivate')}
                    data-testid="reactivate-account"
                  >
                    Reactivate
                  </button>
                ) : null}
                {writable && account.status !== 'closed' ? (
                  <button type="button" class="button" onClick={() => setOpen('adjust')} data-testid="adjust-balance">
                    Adjust balance
                  </button>
                ) : null}
                {can(me.user.role, 'accounts:close') && account.status !== 'closed' ? (
                  <button
                    type="button"
                    class="button danger-outline"
                    onClick={() => setOpen('close')}
                    data-testid="close-account"
                  >
                    Close account
                  </button>
                ) : null}
                <Link class="button ghost" href={`/audit?resource_type=account&resource_id=${account.id}`}>
                  Audit entries
                </Link>
              </>
            }
          />
          {done ? <Notice kind="success">{done}</Notice> : null}
          <div class="stats-grid">
            <Stat
              label="Balance"
              value={<Money minor={account.balance_minor} currency={account.currency} />}
              testId="account-balance"
            />
            <Stat
              label="Held by active holds"
              value={<Money minor={account.held_minor} currency={account.currency} />}
              hint={heldFreeUses(account.free_uses_held, account.daily_free_uses_held)}
              testId="account-held"
            />
            <Stat
              label="Available"
              value={<Money minor={account.available_minor} currency={account.currency} />}
              hint="balance − held"
              testId="account-available"
            />
            <Stat
              label="One-time free uses left"
              value={formatCount(account.free_uses_remaining)}
              hint={account.free_uses_held > 0 ? `${formatCount(account.free_uses_held)} held` : undefined}
            />
            <Stat
              label="Daily free uses left"
              value={`${formatCount(account.daily_free_uses_remaining)} / ${formatCount(account.daily_free_uses_limit)}`}
              hint={account.daily_free_uses_held > 0 ? `${formatCount(account.daily_free_uses_held)} held` : undefined}
            />
            <Stat label="Total uses" value={formatCount(account.total_uses)} />
            <Stat label="Plan" value={account.plan_name} />
          </div>
          <div class="two-col">
            <Card title="Identity">
              <dl class="kv">
                <dt>Account id</dt>
                <dd>
                  <Mono>{account.id}</Mono>
                </dd>
                <dt>Email</dt>
                <dd>{account.customer_email ?? '—'}</dd>
                <dt>Display name</dt>
                <dd>{account.display_name ?? '—'}</dd>
                <dt>WA id</dt>
                <dd>{account.wa_id ?? '—'}</dd>
                <dt>Tenant</dt>
                <dd>{account.tenant_id ?? '—'}</dd>
                <dt>Agent</dt>
                <dd>{account.agent_id ?? '—'}</dd>
                <dt>Created</dt>
                <dd>
                  <Time iso={account.created_at} />
                </dd>
              </dl>
            </Card>
            <ChartPanel
              title="Uses, last 30 days"
              testId="account-usage"
              stacked
              labels={account.usage_30d.map((d) => d.date)}
              series={[
                { label: 'Paid uses', values: account.usage_30d.map((d) => d.paid_uses), color: PALETTE.blue },
                { label: 'Free uses', values: account.usage_30d.map((d) => d.free_uses), color: PALETTE.teal },
              ]}
            />
          </div>
          <Card
            title={
              account.active_holds_total > account.active_holds.length
                ? `Active holds (newest ${formatCount(account.active_holds.length)} of ${formatCount(account.active_holds_total)})`
                : 'Active holds'
            }
          >
            {account.active_holds.length === 0 ? (
              <EmptyState title="No active holds." />
            ) : (
              <div class="table-wrap">
                <table class="table compact" data-testid="active-holds-table">
                  <thead>
                    <tr>
                      <th>Created</th>
                      <th>Reserves</th>
                      <th>Description</th>
                      <th class="num">Up to</th>
                      <th>Expires</th>
                      <th>Hold id</th>
                    </tr>
                  </thead>
                  <tbody>
                    {account.active_holds.map((h) => (
                      <tr key={h.id}>
                        <td class="nowrap">
                          <Time iso={h.created_at} />
                        </td>
                        <td>
                          <Badge tone={h.funded_by === 'balance' ? 'amber' : 'blue'}>{FUNDED_BY[h.funded_by]}</Badge>
                        </td>
                        <td class="clip">{h.description}</td>
                        <td class="num">
                          <Money minor={h.amount_minor} currency={h.currency} />
                        </td>
                        <td class="nowrap">
                          <Time iso={h.expires_at} />
                        </td>
                        <td class="clip">
                          <Mono>{h.id}</Mono>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          <Card
            title="Ledger"
            actions={
              <select
                class="input small"
                aria-label="Entry type"
                value={ledgerType}
                onChange={(e) => setLedgerType(e.currentTarget.value as LedgerQuery['type'] | '')}
              >
                <option value="">All entries</option>
                <option value="charge">Charges</option>
                <option value="credit">Credits</option>
              </select>
            }
          >
            <ErrorBanner message={ledger.error} onRetry={ledger.reload} />
            {ledger.data && ledger.data.items.length === 0 ? <EmptyState title="No ledger entries yet." /> : null}
            {ledger.data && ledger.data.items.length > 0 ? (
              <div class="table-wrap">
                <table class="table" data-testid="ledger-table">
                  <thead>
                    <tr>
                      <th>When</th>
                      <th>Type</th>
                      <th>Description</th>
                      <th class="num">Amount</th>
                      <th class="num">Balance after</th>
                      <th>Idempotency key</th>
                      <th>By</th>
                    </tr>
                  </thead>
                  <tbody>
                    {ledger.data.items.map((entry) => (
                      <tr key={entry.id}>
                        <td class="nowrap">
                          <Time iso={entry.created_at} />
                        </td>
                        <td>
                          <Badge tone={entry.type === 'charge' ? 'grey' : 'green'}>{entry.transaction_type}</Badge>
                          {entry.funding_source && entry.funding_source !== 'balance' ? (
                            <div class="muted small">{entry.funding_source}</div>
                          ) : null}
                        </td>
                        <td class="clip">{entry.description}</td>
                        <td class="num">
                          <Money minor={entry.amount_minor} currency={entry.currency} signed />
                          {entry.balance_change_minor !== entry.amount_minor ? (
                            <div class="muted small">
                              balance {formatMoney(entry.balance_change_minor, entry.currency, { signed: true })}
                            </div>
                          ) : null}
                        </td>
                        <td class="num">
                          <Money minor={entry.balance_after} currency={entry.currency} />
                        </td>
                        <td class="clip">{entry.idempotency_key ? <Mono>{entry.idempotency_key}</Mono> : '—'}</td>
                        <td>
                          {entry.api_key_id ? (
                            <Link href={`/keys/${entry.api_key_id}`}>key</Link>
                          ) : (
                            <span class="muted">console/CLI</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
            <Pager
              page={ledgerPages.page}
              nextCursor={ledger.data?.next_cursor}
              onNext={ledgerPages.next}
              onPrevious={ledgerPages.previous}
            />
          </Card>
          <div class="two-col">
            <Card title="Recent credit checks">
              <ErrorBanner message={checks.error} />
              {checks.data && checks.data.items.length === 0 ? <EmptyState title="No credit checks yet." /> : null}
              {checks.data && checks.data.items.length > 0 ? (
                <table class="table compact" data-testid="credit-checks-table">
                  <thead>
                    <tr>
                      <th>When</th>
                      <th>Answer</th>
                      <th>Reason</th>
                    </tr>
                  </thead>
                  <tbody>
                    {checks.data.items.map((c) => (
                      <tr key={c.id}>
                        <td class="nowrap">
                          <Time iso={c.created_at} />
                        </td>
                        <td>
                          {c.has_credit ? <Badge tone="green">has credit</Badge> : <Badge tone="red">no credit</Badge>}
                        </td>
                        <td>{c.reason ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
            </Card>
            <Card title="Recent purchases">
              {account.recent_purchases.length === 0 ? (
                <EmptyState title="No purchases." />
              ) : (
                <table class="table compact">
                  <thead>
                    <tr>
                      <th>When</th>
                      <th class="num">Amount</th>
                      <th class="num">Uses</th>
                      <th>Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {account.recent_purchases.map((p) => (
                      <tr key={p.id}>
                        <td class="nowrap">
                          <Time iso={p.created_at} />
                        </td>
                        <td class="num">
                          <Money minor={p.amount_minor} currency={p.currency} />
                        </td>
                        <td class="num">{formatCount(p.uses_purchased)}</td>
                        <td>{p.status}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
          </div>
          {open === 'suspend' || open === 'reactivate' ? (
            <StatusChangeDialog
              account={account}
              action={open}
              onClose={() => setOpen('none')}
              onDone={() => finish(open === 'suspend' ? 'Account suspended.' : 'Account reactivated.')}
            />
          ) : null}
          {open === 'adjust' ? (
            <AdjustBalanceDialog
              account={account}
              onClose={() => setOpen('none')}
              onDone={(r) =>
                finish(
                  `Balance adjusted: ${formatMoney(r.balance_before, r.currency)} → ${formatMoney(r.balance_after, r.currency)}.`,
                )
              }
            />
          ) : null}
          {open === 'close' ? (
            <CloseAccountDialog
              account={account}
              onClose={() => setOpen('none')}
              onDone={() => finish('Account closed.')}
            />
          ) : null}
        </>
      )}
    </div>
  );
}
