/** Light, dark, or the system's choice; kept in localStorage (a preference, not view state). */
export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

const KEY = 'cairn.theme';

export function storedTheme(): Theme {
  const v = localStorage.getItem(KEY);
  return THEMES.includes(v as Theme) ? (v as Theme) : 'system';
}

export function applyTheme(theme: Theme): void {
  localStorage.setItem(KEY, theme);
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  window.dispatchEvent(new Event('cairn-theme'));
}

/** The colours charts draw with, read from the CSS variables of the current theme. */
export function chartColors(): { text: string; grid: string; axis: string } {
  const style = getComputedStyle(document.documentElement);
  return {
    text: style.getPropertyValue('--fg-muted').trim() || '#555',
    grid: style.getPropertyValue('--grid').trim() || '#e5e5e5',
    axis: style.getPropertyValue('--border').trim() || '#ccc',
  };
}

/** Run colours: distinct in light and dark mode (a qualitative palette). */
export const SERIES_COLORS = [
  '#2f6fdb',
  '#e0592a',
  '#22a06b',
  '#b44ad8',
  '#d6a100',
  '#0f9fb0',
  '#d13f7a',
  '#7a8a00',
  '#6d5dfc',
  '#a0522d',
];

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length] as string;
}
