import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AuthSessionResponse, Environment } from '../../src/admin-console/contract.js';

export interface SessionState {
  me: AuthSessionResponse;
  /** The Live | Test switch: every page's data is of this environment. */
  environment: Environment;
  setEnvironment: (environment: Environment) => void;
  /** Re-reads /auth/me (after a password change, for example). */
  refresh: () => Promise<void>;
  logout: () => Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}
