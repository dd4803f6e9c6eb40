/**
 * Draws the tray model (main/tray/tray-model.ts) and routes its menu actions back.
 * All decisions live in the model; this only maps it onto Electron's Tray and Menu.
 */
import type { TrayAction, TrayIcon, TrayModel } from '../tray/tray-model.ts';
import type { ElectronFacade, MenuItemOptionsLike, TrayLike } from './facade.ts';

export interface TrayIcons {
  /** Image path per icon state. */
  path(icon: TrayIcon): string;
}

export function menuTemplate(model: TrayModel, onAction: (a: TrayAction) => void): MenuItemOptionsLike[] {
  return model.menu.map((item) =>
    item.type === 'separator'
      ? { type: 'separator' as const }
      : { label: item.label, enabled: item.enabled, click: item.action ? () => onAction(item.action!) : undefined },
  );
}

export class TrayView {
  private readonly tray: TrayLike;
  private readonly e: Pick<ElectronFacade, 'Tray' | 'Menu'>;
  private readonly icons: TrayIcons;
  private lastIcon: TrayIcon | null = null;

  constructor(e: Pick<ElectronFacade, 'Tray' | 'Menu'>, icons: TrayIcons, onClick: () => void) {
    this.e = e;
    this.icons = icons;
    this.tray = new e.Tray(icons.path('idle'));
    this.tray.on('click', onClick);
  }

  draw(model: TrayModel, onAction: (a: TrayAction) => void): void {
    if (model.icon !== this.lastIcon) {
      this.tray.setImage(this.icons.path(model.icon));
      this.lastIcon = model.icon;
    }
    this.tray.setToolTip(model.tooltip);
    this.tray.setTitle?.(model.runningCount > 0 ? String(model.runningCount) : '');
    this.tray.setContextMenu(this.e.Menu.buildFromTemplate(menuTemplate(model, onAction)));
  }

  destroy(): void {
    this.tray.destroy();
  }
}

export function notify(e: Pick<ElectronFacade, 'Notification'>, n: { title: string; body: string }): boolean {
  if (!e.Notification.isSupported()) return false;
  new e.Notification({ title: n.title, body: n.body }).show();
  return true;
}
