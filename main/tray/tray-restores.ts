/**
 * Restores from cold storage still waited for, added to the tray's model (tray-model.ts): a
 * tooltip line with their count and one disabled menu line each, above the first separator. Pure.
 */
import type { TrayMenuItem, TrayModel } from './tray-model.ts';

export interface TrayRestore {
  id: string;
  label: string;
  tier: string;
  /** The tier's wait in words: "3-5 hours". */
  waiting: string;
  askedAt: number;
}

export function withRestores(model: TrayModel, restores: readonly TrayRestore[]): TrayModel {
  if (restores.length === 0) return model;
  const n = restores.length;
  const line = `Restoring from cold storage: ${n} (ready in ${[...new Set(restores.map((r) => r.waiting))].join(' / ')})`;
  const items: TrayMenuItem[] = restores.map((r) => ({
    type: 'item',
    id: `restore:${r.id}`,
    label: `Restoring ${r.label} (${r.tier}, ${r.waiting}) since ${new Date(r.askedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    enabled: false,
    action: null,
  }));
  const cut = model.menu.findIndex((m) => m.type === 'separator');
  const at = cut < 0 ? model.menu.length : cut;
  return { ...model, tooltip: `${model.tooltip}\n${line}`, menu: [...model.menu.slice(0, at), ...items, ...model.menu.slice(at)] };
}
