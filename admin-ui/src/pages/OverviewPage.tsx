import type { OverviewResponse } from '../../../src/admin-console/contract.js';
import { api } from '../api.js';
import { AuditTable } from '../components/AuditTable.js';
import { ChartPanel, PALETTE } from '../components/ChartPanel.js';
import { Card, ErrorBanner, Loading, Money, PageHeader, Stat } from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { formatCount } from '../lib/format.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

export function OverviewPage() {
  const { environment } = useSession();
  const overview = useLoad(() => api.get<OverviewResponse>('/overview', { environment }), [environment]);
  const o = overview.data;
  return (
    <div>
      <PageHeader title="Overview" subtitle={`The last 24 hours in the ${environment} environment (times in UTC).`} />
      <ErrorBanner message={overview.error} onRetry={overview.reload} />
      {!o ? (
        overview.loading ? (
          <Loading />
        ) : null
      ) : (
        <>
          <div class="stats-grid">
            <Stat
              label="Accounts"
              value={formatCount(o.accounts.total)}
              hint={`${formatCount(o.accounts.new_24h)} new in 24 h`}
              testId="stat-accounts"
            />
            <Stat
              label="Charges in 24 h"
              value={formatCount(o.charges_24h.paid + o.charges_24h.free)}
              hint={`${formatCount(o.charges_24h.paid)} paid · ${formatCount(o.charges_24h.free)} free`}
              testId="stat-charges"
            />
            <Stat
              label="Revenue today"
              value={<Money minor={o.revenue.today_minor} currency={o.revenue.currency} />}
              hint={
                <>
                  yesterday <Money minor={o.revenue.yesterday_minor} currency={o.revenue.currency} />
                </>
              }
              testId="stat-revenue"
            />
            <Stat
              label="API keys"
              value={formatCount(o.keys.active)}
              hint={
                <>
                  active · {formatCount(o.keys.rotating)} rotating ·{' '}
                  <Link href="/keys?expiring_within_days=14">
                    {formatCount(o.keys.expiring_14d)} expiring in 14 days
                  </Link>
                </>
              }
              testId="stat-keys"
            />
            <Stat
              label="Failed key authentications"
              value={formatCount(o.failed_auth_24h)}
              hint={<Link href="/security">in 24 h · see Security</Link>}
              testId="stat-failed-auth"
            />
          </div>
          <ChartPanel
            title="Uses, last 30 days"
            testId="overview-usage"
            stacked
            labels={o.usage_30d.map((d) => d.date)}
            series={[
              { label: 'Paid uses', values: o.usage_30d.map((d) => d.paid_uses), color: PALETTE.blue },
              { label: 'Free uses', values: o.usage_30d.map((d) => d.free_uses), color: PALETTE.teal },
            ]}
          />
          <Card title="Latest audit events" actions={<Link href="/audit">Open the audit log →</Link>}>
            <AuditTable entries={o.latest_audit} compact />
          </Card>
        </>
      )}
    </div>
  );
}
