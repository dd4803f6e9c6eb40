/**
 * Writes the tray icons (main/tray/tray-icons.ts) to assets/tray/<icon>.png (22 px, the size
 * Linux and Windows trays use) and <icon>@2x.png (44 px). Run: `node scripts/make-tray-icons.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRAY_ICONS, trayIconPng } from '../main/tray/tray-icons.ts';
import { projectRoot } from './bundle-renderer.ts';

export function writeTrayIcons(dir = join(projectRoot(), 'assets', 'tray')): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const icon of TRAY_ICONS) {
    for (const [suffix, size] of [
      ['', 22],
      ['@2x', 44],
    ] as const) {
      const file = join(dir, `${icon}${suffix}.png`);
      writeFileSync(file, trayIconPng(icon, size));
      written.push(file);
    }
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const f of writeTrayIcons()) console.log(f);
}
