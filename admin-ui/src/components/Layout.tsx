import type { ComponentChildren } from 'preact';
import { can } from '../lib/roles.js';
import { Link, useLocation } from '../router.js';
import { useSession } from '../session.js';

const NAV: { href: string; label: string; superAdminOnly?: boolean }[] = [
  { href: '/', label: 'Overview' },
  { href: '/keys', label: 'API keys' },
  { href: '/accounts', label: 'Accounts' },
  { href: '/analytics', label: 'Analytics' },
  { href: '/security', label: 'Security' },
  { href: '/audit', label: 'Audit log' },
  { href: '/admin-users', label: 'Admin users', superAdminOnly: true },
  { href: '/me', label: 'My account' },
];

const ROLE_LABEL = { viewer: 'Viewer', admin: 'Admin', super_admin: 'Super admin' } as const;

export function Layout(props: { children: ComponentChildren }) {
  const session = useSession();
  const { path } = useLocation();
  const user = session.me.user;
  const isActive = (href: string) => (href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`));
  return (
    <div class={`shell env-${session.environment}`}>
      <header class="topbar">
        <Link href="/" class="brand">
          <span class="brand-mark" aria-hidden="true">
            ◆
          </span>
          CIRIS Billing <span class="brand-sub">console</span>
        </Link>
        <div class="segmented env-switch" role="group" aria-label="Environment">
          {(['live', 'test'] as const).map((env) => (
            <button
              type="button"
              key={env}
              aria-pressed={session.environment === env}
              data-testid={`env-${env}`}
              onClick={() => session.setEnvironment(env)}
            >
              {env === 'live' ? 'Live' : 'Test'}
            </button>
          ))}
        </div>
        <div class="topbar-user">
          <span class="user-email" data-testid="current-user">
            {user.email}
          </span>
          <span class={`badge badge-${user.role === 'viewer' ? 'grey' : 'blue'}`} data-testid="current-role">
            {ROLE_LABEL[user.role]}
          </span>
          <button type="button" class="button small ghost" onClick={() => void session.logout()}>
            Sign out
          </button>
        </div>
      </header>
      {session.environment === 'test' ? (
        <div class="env-banner" role="status">
          Test environment: every page shows test-mode keys and accounts only.
        </div>
      ) : null}
      <div class="body">
        <nav class="sidenav" aria-label="Console">
          {NAV.filter((item) => !item.superAdminOnly || can(user.role, 'admin_users:manage')).map((item) => (
            <Link
              key={item.href}
              href={item.href}
              class={isActive(item.href) ? 'active' : ''}
              aria-current={isActive(item.href) ? 'page' : undefined}
            >
              {item.label}
            </Link>
          ))}
        </nav>
        <main class="content">{props.children}</main>
      </div>
    </div>
  );
}
