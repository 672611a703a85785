import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { AuthSessionResponse, Environment } from '../../src/admin-console/contract.js';
import { api, configureApi, request, setCsrfToken } from './api.js';
import { Layout } from './components/Layout.js';
import { StepUpDialog } from './components/StepUpDialog.js';
import { Loading } from './components/ui.js';
import { ApiError } from './lib/errors.js';
import { safeNextPath, setupToken } from './lib/navigation.js';
import { AccountDetailPage } from './pages/AccountDetailPage.js';
import { AccountsPage } from './pages/AccountsPage.js';
import { AdminUsersPage } from './pages/AdminUsersPage.js';
import { AnalyticsPage } from './pages/AnalyticsPage.js';
import { AuditPage } from './pages/AuditPage.js';
import { KeyDetailPage } from './pages/KeyDetailPage.js';
import { KeysPage } from './pages/KeysPage.js';
import { LoginPage } from './pages/LoginPage.js';
import { MyAccountPage } from './pages/MyAccountPage.js';
import { NotFoundPage } from './pages/NotFoundPage.js';
import { OverviewPage } from './pages/OverviewPage.js';
import { SecurityPage } from './pages/SecurityPage.js';
import { SetupPage } from './pages/SetupPage.js';
import { currentLocation, matchRoute, navigate, useLocation } from './router.js';
import { SessionContext, type SessionState } from './session.js';

const ENV_STORAGE_KEY = 'ciris-console-environment';

interface Route {
  pattern: string;
  render: (params: Record<string, string>) => JSX.Element;
}

const ROUTES: Route[] = [
  { pattern: '/', render: () => <OverviewPage /> },
  { pattern: '/keys', render: () => <KeysPage /> },
  { pattern: '/keys/:id', render: (p) => <KeyDetailPage id={p.id} /> },
  { pattern: '/accounts', render: () => <AccountsPage /> },
  { pattern: '/accounts/:id', render: (p) => <AccountDetailPage id={p.id} /> },
  { pattern: '/analytics', render: () => <AnalyticsPage /> },
  { pattern: '/security', render: () => <SecurityPage /> },
  { pattern: '/audit', render: () => <AuditPage /> },
  { pattern: '/admin-users', render: () => <AdminUsersPage /> },
  { pattern: '/me', render: () => <MyAccountPage /> },
];

function readEnvironment(): Environment {
  return window.sessionStorage.getItem(ENV_STORAGE_KEY) === 'test' ? 'test' : 'live';
}

export function App(): JSX.Element {
  const location = useLocation();
  const [me, setMe] = useState<AuthSessionResponse | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  const [environment, setEnvironmentState] = useState<Environment>(readEnvironment);
  const [stepUp, setStepUp] = useState<((ok: boolean) => void) | null>(null);

  const signIn = (session: AuthSessionResponse) => {
    setCsrfToken(session.csrf_token);
    setMe(session);
    setExpired(false);
  };

  const signOut = (reason: 'expired' | 'logout') => {
    setCsrfToken(null);
    setMe(null);
    setStepUp(null);
    const here = currentLocation();
    if (reason === 'expired') {
      setExpired(true);
      if (!here.path.startsWith('/login') && !here.path.startsWith('/setup')) {
        navigate(`/login?next=${encodeURIComponent(here.href)}`, { replace: true });
      }
    } else {
      navigate('/login', { replace: true });
    }
  };

  useEffect(() => {
    configureApi({
      onUnauthenticated: () => signOut('expired'),
      promptStepUp: () => new Promise<boolean>((resolve) => setStepUp(() => resolve)),
    });
    request<AuthSessionResponse>('GET', '/auth/me', { anonymous: true }).then(signIn, (error: unknown) => {
      if (error instanceof ApiError && error.status === 401) {
        setMe(null);
        const here = currentLocation();
        if (!here.path.startsWith('/login') && !here.path.startsWith('/setup')) {
          navigate(here.path === '/' ? '/login' : `/login?next=${encodeURIComponent(here.href)}`, { replace: true });
        }
      } else {
        setMe(null);
      }
    });
  }, []);

  const session = useMemo<SessionState | null>(
    () =>
      me
        ? {
            me,
            environment,
            setEnvironment: (next) => {
              window.sessionStorage.setItem(ENV_STORAGE_KEY, next);
              setEnvironmentState(next);
            },
            refresh: async () => signIn(await api.get<AuthSessionResponse>('/auth/me')),
            logout: async () => {
              await api.post('/auth/logout').catch(() => undefined);
              signOut('logout');
            },
          }
        : null,
    [me, environment],
  );

  if (me === undefined) return <Loading />;

  if (!session) {
    if (location.path === '/setup') return <SetupPage token={setupToken(window.location.hash)} onSignedIn={signIn} />;
    return (
      <LoginPage
        expired={expired}
        onSignedIn={(s) => {
          signIn(s);
          navigate(safeNextPath(currentLocation().query.get('next')), { replace: true });
        }}
      />
    );
  }

  if (location.path === '/login' || location.path === '/setup') {
    // Signed in already (a reload of the login page): go where the operator was going.
    queueMicrotask(() => navigate(safeNextPath(location.query.get('next')), { replace: true }));
    return <Loading />;
  }

  let page: JSX.Element = <NotFoundPage />;
  for (const route of ROUTES) {
    const params = matchRoute(route.pattern, location.path);
    if (params) {
      page = route.render(params);
      break;
    }
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout>{page}</Layout>
      {stepUp ? (
        <StepUpDialog
          onDone={(ok) => {
            stepUp(ok);
            setStepUp(null);
          }}
          onExpired={() => signOut('expired')}
        />
      ) : null}
    </SessionContext.Provider>
  );
}
