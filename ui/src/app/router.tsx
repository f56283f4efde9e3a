import type { QueryClient } from '@tanstack/react-query';
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  redirect,
} from '@tanstack/react-router';
import { ExperimentsPage } from '../pages/experiments/experiments-page.tsx';
import { RunsPage } from '../pages/runs/runs-page.tsx';
import { SignInPage } from '../pages/signin/signin-page.tsx';
import { Layout } from './layout.tsx';
import { flag, oneOf, str } from './search.ts';

type Raw = Record<string, unknown>;

/** The runs page: filter, sort, columns, selection, table or charts, charted metrics, x axis. */
interface RunsSearch {
  filter?: string;
  sort?: string;
  asc?: boolean;
  cols?: string;
  sel?: string;
  view?: 'table' | 'charts';
  charts?: string;
  x?: 'step' | 'timestamp';
}

/** The run page: tab, artifact path, log file, x axis of the charts. */
interface RunSearch {
  tab?: 'overview' | 'charts' | 'artifacts' | 'logs';
  path?: string;
  log?: string;
  x?: 'step' | 'timestamp';
}

const rootRoute = createRootRouteWithContext<{ queryClient: QueryClient }>()({
  component: Layout,
  notFoundComponent: () => (
    <section>
      <h1>Not found</h1>
      <p>There is no page at this address.</p>
    </section>
  ),
});

const indexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/experiments', search: {} });
  },
});

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/signin',
  validateSearch: (raw: Raw): { next?: string } => ({ next: str(raw, 'next') }),
  component: SignInPage,
});

const experimentsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/experiments',
  validateSearch: (raw: Raw): { q?: string; deleted?: boolean } => ({
    q: str(raw, 'q'),
    deleted: flag(raw, 'deleted'),
  }),
  component: ExperimentsPage,
});

const runsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/experiments/$experimentId',
  validateSearch: (raw: Raw): RunsSearch => ({
    filter: str(raw, 'filter'),
    sort: str(raw, 'sort'),
    asc: flag(raw, 'asc'),
    cols: str(raw, 'cols'),
    sel: str(raw, 'sel'),
    view: oneOf(raw, 'view', ['table', 'charts'] as const),
    charts: str(raw, 'charts'),
    x: oneOf(raw, 'x', ['step', 'timestamp'] as const),
  }),
  component: RunsPage,
});

const runRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/runs/$runId',
  validateSearch: (raw: Raw): RunSearch => ({
    tab: oneOf(raw, 'tab', ['overview', 'charts', 'artifacts', 'logs'] as const),
    path: str(raw, 'path'),
    log: str(raw, 'log'),
    x: oneOf(raw, 'x', ['step', 'timestamp'] as const),
  }),
  component: lazyRouteComponent(() => import('../pages/run/run-page.tsx'), 'RunPage'),
});

const compareRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/compare',
  validateSearch: (raw: Raw): { runs?: string; diff?: boolean; metric?: string } => ({
    runs: str(raw, 'runs'),
    diff: flag(raw, 'diff'),
    metric: str(raw, 'metric'),
  }),
  component: lazyRouteComponent(() => import('../pages/compare/compare-page.tsx'), 'ComparePage'),
});

const modelsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/models',
  validateSearch: (raw: Raw): { q?: string } => ({ q: str(raw, 'q') }),
  component: lazyRouteComponent(() => import('../pages/models/models-page.tsx'), 'ModelsPage'),
});

const modelRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/models/$name',
  component: lazyRouteComponent(() => import('../pages/models/model-page.tsx'), 'ModelPage'),
});

const versionRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/models/$name/versions/$version',
  validateSearch: (raw: Raw): { verify?: boolean } => ({ verify: flag(raw, 'verify') }),
  component: lazyRouteComponent(() => import('../pages/models/version-page.tsx'), 'VersionPage'),
});

/**
 * Every page and the search parameters it keeps its state in. Pages of areas still to come
 * (deployments, monitoring) are added here as routes of their own.
 */
const routeTree = rootRoute.addChildren([
  indexRoute,
  signInRoute,
  experimentsRoute,
  runsRoute,
  runRoute,
  compareRoute,
  modelsRoute,
  modelRoute,
  versionRoute,
]);

export function makeRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: 'intent',
    scrollRestoration: true,
  });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof makeRouter>;
  }
}
