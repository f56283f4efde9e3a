import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect } from 'react';
import { onUnauthenticated } from '../api/http.ts';
import { getSession, type Role, roleAllows, type SessionState } from '../api/session.ts';

const SessionContext = createContext<SessionState | undefined>(undefined);

export const SESSION_KEY = ['session'] as const;

/** Loads who the browser is (and its CSRF token) before anything else, and again after a 401. */
export function SessionProvider({ children, fallback }: { children: ReactNode; fallback: ReactNode }) {
  const client = useQueryClient();
  const session = useQuery({ queryKey: SESSION_KEY, queryFn: getSession, staleTime: 60_000 });
  useEffect(
    () => onUnauthenticated(() => void client.invalidateQueries({ queryKey: SESSION_KEY })),
    [client],
  );
  if (!session.data) return <>{fallback}</>;
  return <SessionContext.Provider value={session.data}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** Whether the signed-in role may use a control that needs `need` (writing controls need editor). */
export function useCan(need: Role = 'editor'): boolean {
  return roleAllows(useSession().role, need);
}
