import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useLocation, useNavigate, useRouterState } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { signOut } from '../api/session.ts';
import { AREAS } from './areas.ts';
import { SessionProvider, useSession } from './session-context.tsx';
import { applyTheme, storedTheme, THEMES, type Theme } from './theme.ts';

function ThemeSwitch() {
  const [theme, setTheme] = useState<Theme>(storedTheme);
  return (
    <label className="theme-switch">
      <span className="visually-hidden">Colour theme</span>
      <select
        value={theme}
        onChange={(e) => {
          const next = e.target.value as Theme;
          setTheme(next);
          applyTheme(next);
        }}
      >
        {THEMES.map((t) => (
          <option key={t} value={t}>
            {t === 'system' ? 'System theme' : t === 'light' ? 'Light' : 'Dark'}
          </option>
        ))}
      </select>
    </label>
  );
}

function SessionMenu() {
  const session = useSession();
  const client = useQueryClient();
  const navigate = useNavigate();
  const out = useMutation({
    mutationFn: signOut,
    onSuccess: async () => {
      client.clear();
      await navigate({ to: '/signin', search: {} });
    },
  });
  if (!session.auth_enabled) return <span className="muted small">authentication off</span>;
  if (!session.signed_in) return null;
  return (
    <span className="session">
      <span>
        {session.name} <span className="badge">{session.role}</span>
      </span>
      <button type="button" onClick={() => out.mutate()} disabled={out.isPending}>
        Sign out
      </button>
    </span>
  );
}

/**
 * The frame of every page: header with navigation, theme and session; the page below. The
 * router (and the code of the page asked for) loads while the session is asked for.
 */
export function Layout() {
  return (
    <SessionProvider fallback={<p className="boot">Cairn…</p>}>
      <Frame />
    </SessionProvider>
  );
}

function Frame() {
  const session = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  // Judged on the matched route, not the address: while the router moves to /signin the old page
  // is still the match and must not render (it would ask for data without credentials).
  const onSignIn = useRouterState({ select: (s) => s.matches.some((m) => m.routeId === '/signin') });
  const signedOut = session.auth_enabled && !session.signed_in;
  const mustSignIn = signedOut && !onSignIn;
  const goSignIn = signedOut && location.pathname !== '/signin';
  useEffect(() => {
    if (goSignIn) void navigate({ to: '/signin', search: { next: location.href }, replace: true });
  }, [goSignIn, navigate, location.href]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/experiments" className="brand" aria-label="Cairn home">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <ellipse cx="12" cy="19" rx="9" ry="3.2" fill="currentColor" opacity="0.55" />
            <ellipse cx="12" cy="12.5" rx="6.5" ry="2.8" fill="currentColor" opacity="0.75" />
            <ellipse cx="12" cy="7" rx="4" ry="2.3" fill="currentColor" />
          </svg>
          Cairn
        </Link>
        <nav aria-label="Main">
          {AREAS.map((area) => (
            <Link key={area.to} to={area.to} activeProps={{ 'aria-current': 'page', className: 'active' }}>
              {area.label}
            </Link>
          ))}
        </nav>
        <span className="spacer" />
        <ThemeSwitch />
        <SessionMenu />
      </header>
      <main id="main" tabIndex={-1}>
        {mustSignIn ? null : <Outlet />}
      </main>
    </>
  );
}
