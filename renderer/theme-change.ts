/**
 * The light/dark theme changing while the app runs: the user picks one in Settings (app.tsx sets
 * `data-theme` on the root element, then calls `announceThemeChange`), or the system switches
 * while the theme is `system` (the `prefers-color-scheme` media query).
 *
 * Canvas drawings do not follow CSS by themselves: they take their colours from here.
 * `usePlotColors()` is the CSS colours a plot draws with, as a value that is replaced after every
 * theme change, so an effect that draws with it (its dependency, which the hooks lint requires)
 * draws again in the new theme. `onThemeChange` is the same signal for code outside React.
 */
import { useEffect, useState } from 'react';

const THEME_EVENT = 'scopecloud-theme';

/** Tells every subscriber that the theme's CSS changed (after `data-theme` was set). */
export function announceThemeChange(): void {
  document.dispatchEvent(new Event(THEME_EVENT));
}

/** Calls `listener` after each theme change, by the app or by the system; returns the unsubscribe. */
export function onThemeChange(listener: () => void): () => void {
  const media = matchMedia('(prefers-color-scheme: dark)');
  media.addEventListener('change', listener);
  document.addEventListener(THEME_EVENT, listener);
  return () => {
    media.removeEventListener('change', listener);
    document.removeEventListener(THEME_EVENT, listener);
  };
}

/** The theme's colours the 2D plots draw with (CSS custom properties of the root element). */
export interface PlotColors {
  /** Axes and frames (`--border`). */
  axis: string;
  /** Labels, and the lines of what is not a cell (`--muted`). */
  text: string;
  /** The main series (`--accent`). */
  accent: string;
}

export function readPlotColors(): PlotColors {
  const css = getComputedStyle(document.documentElement);
  const value = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return { axis: value('--border', '#888'), text: value('--muted', '#888'), accent: value('--accent', '#2f6fb3') };
}

function same(a: PlotColors, b: PlotColors): boolean {
  return a.axis === b.axis && a.text === b.text && a.accent === b.accent;
}

/** The plot colours of the current theme; a new object (only) when a theme change changed them. */
export function usePlotColors(): PlotColors {
  const [colors, setColors] = useState(readPlotColors);
  useEffect(() => {
    const update = () => {
      const next = readPlotColors();
      setColors((previous) => (same(previous, next) ? previous : next));
    };
    // A change between the first render and this subscription is caught here.
    update();
    return onThemeChange(update);
  }, []);
  return colors;
}
