import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { type FormEvent, useState } from 'react';
import { ApiError } from '../../api/http.ts';
import { type SignIn, signIn } from '../../api/session.ts';
import { SESSION_KEY, useSession } from '../../app/session-context.tsx';

const route = getRouteApi('/signin');

/** Sign in with a user name and password, or with a token; the server answers with a session cookie. */
export function SignInPage() {
  const search = route.useSearch();
  const session = useSession();
  const client = useQueryClient();
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const submit = useMutation({
    mutationFn: (credentials: SignIn) => signIn(credentials),
    onSuccess: (state) => {
      client.clear();
      client.setQueryData(SESSION_KEY, state);
      // A full load of the page asked for: the new session starts from a clean slate.
      window.location.assign(
        search.next?.startsWith('/') && !search.next.startsWith('//') ? search.next : '/experiments',
      );
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit.mutate(mode === 'password' ? { username, password } : { token });
  };
  if (!session.auth_enabled)
    return (
      <section className="signin">
        <h1>Sign in</h1>
        <p>This server runs without authentication: there is nothing to sign in to.</p>
      </section>
    );
  const failed =
    submit.error instanceof ApiError && submit.error.status === 401
      ? mode === 'password'
        ? 'Wrong user name or password.'
        : 'That token is not valid (wrong, expired or revoked).'
      : submit.error
        ? String((submit.error as Error).message)
        : undefined;
  return (
    <section className="signin" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to Cairn</h1>
      <div className="tabs" role="tablist" aria-label="How to sign in">
        {(['password', 'token'] as const).map((m) => (
          <button
            key={m}
            type="button"
            role="tab"
            aria-selected={mode === m}
            className={mode === m ? 'active' : ''}
            onClick={() => setMode(m)}
          >
            {m === 'password' ? 'User and password' : 'Token'}
          </button>
        ))}
      </div>
      <form onSubmit={onSubmit} className="stack">
        {mode === 'password' ? (
          <>
            <label>
              User name
              <input
                autoComplete="username"
                value={username}
                onChange={(e) => setUsername(e.target.value)}
                required
              />
            </label>
            <label>
              Password
              <input
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
              />
            </label>
          </>
        ) : (
          <label>
            Token
            <input
              type="password"
              autoComplete="off"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              placeholder="cairn_…"
              required
            />
          </label>
        )}
        {failed ? (
          <p className="error" role="alert">
            {failed}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={submit.isPending}>
          Sign in
        </button>
      </form>
      <p className="muted small">
        The session lasts 12 hours and ends when you sign out, when your password changes or when the token is
        revoked.
      </p>
    </section>
  );
}
