/**
 * The areas in the header's navigation. An area whose pages are added later (deployments,
 * monitoring) adds its entry here, its routes in router.tsx, its API module in api/, and its
 * page addresses in the server's UI_PAGE_ROUTES.
 */
export const AREAS = [
  { to: '/experiments', label: 'Experiments' },
  { to: '/models', label: 'Models' },
] as const;
