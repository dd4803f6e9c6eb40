/**
 * The tray icons, drawn as pixels: the ScopeCloud mark (a ring with a lens highlight) in the
 * colour of the state, on a transparent background, anti-aliased. `scripts/make-tray-icons.ts`
 * writes them to assets/tray/<icon>.png (and <icon>@2x.png for high-DPI trays).
 */
import type { TrayIcon } from './tray-model.ts';
import { encodePng } from '../image/png.ts';

export const TRAY_ICONS: ReadonlyArray<TrayIcon> = ['idle', 'running', 'warning', 'over-budget'];

const COLOUR: Record<TrayIcon, [number, number, number]> = {
  idle: [110, 120, 135],
  running: [38, 140, 82],
  warning: [224, 150, 20],
  'over-budget': [210, 48, 48],
};

/** RGBA pixels of one icon, `size` × `size`. */
export function trayIconPixels(icon: TrayIcon, size: number): Uint8Array {
  const [r, g, b] = COLOUR[icon];
  const out = new Uint8Array(size * size * 4);
  const c = size / 2;
  const outer = size * 0.46,
    inner = size * 0.3;
  const dot = { x: c - size * 0.09, y: c - size * 0.09, r: size * 0.12 };
  const SS = 4; // supersampling per axis
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let ring = 0,
        disc = 0,
        hi = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const px = x + (sx + 0.5) / SS,
            py = y + (sy + 0.5) / SS;
          const d = Math.hypot(px - c, py - c);
          if (d <= outer && d >= inner) ring++;
          else if (d < inner) disc++;
          if (Math.hypot(px - dot.x, py - dot.y) <= dot.r) hi++;
        }
      }
      const n = SS * SS;
      const a = (ring + disc) / n;
      // The ring in full colour, the lens inside it lighter, a white highlight on the lens.
      const lens = disc / Math.max(1, ring + disc);
      const h = hi / n;
      const mix = (v: number) => Math.round((v * (1 - lens) + (v + (255 - v) * 0.45) * lens) * (1 - h) + 255 * h);
      out.set([mix(r), mix(g), mix(b), Math.round(255 * a)], (y * size + x) * 4);
    }
  }
  return out;
}

export function trayIconPng(icon: TrayIcon, size: number): Uint8Array {
  return encodePng(size, size, trayIconPixels(icon, size), 4);
}
