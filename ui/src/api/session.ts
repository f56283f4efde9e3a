import { cairn, setCsrfToken } from './http.ts';

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who the browser acts as (GET /api/v1/session). */
export interface SessionState {
  auth_enabled: boolean;
  signed_in: boolean;
  name?: string;
  kind?: 'user' | 'token';
  /** null: not signed in on a server that needs credentials. */
  role: Role | null;
  csrf_token?: string;
  expires_at?: number;
}

function remember(state: SessionState): SessionState {
  setCsrfToken(state.csrf_token);
  return state;
}

export async function getSession(): Promise<SessionState> {
  return remember(await cairn<SessionState>('session'));
}

export type SignIn = { username: string; password: string } | { token: string };

export async function signIn(credentials: SignIn): Promise<SessionState> {
  return remember(await cairn<SessionState>('session', { method: 'POST', body: credentials }));
}

export async function signOut(): Promise<SessionState> {
  const state = await cairn<SessionState>('session', { method: 'DELETE' });
  setCsrfToken(undefined);
  return state;
}

/** Whether `role` may do what needs `need`. */
export function roleAllows(role: Role | null, need: Role): boolean {
  return role !== null && ROLES.indexOf(role) >= ROLES.indexOf(need);
}
