/**
 * Quitting with instances running asks first: stop them and quit, leave them running and quit,
 * or cancel. Leaving them running says plainly that billing continues.
 */
import type { BrowserWindowLike, ElectronFacade } from './facade.ts';

export type QuitChoice = 'stop-and-quit' | 'leave-running' | 'cancel';

export interface RunningSummary {
  running: number;
  hourlyBurn: number;
  currency: string;
}

export function quitPrompt(s: RunningSummary) {
  const plural = s.running === 1 ? 'instance is' : 'instances are';
  return {
    type: 'warning' as const,
    title: 'Instances are still running',
    message: `${s.running} ${plural} still running, costing ${s.currency === 'USD' ? '$' : `${s.currency} `}${s.hourlyBurn.toFixed(2)} per hour.`,
    detail: 'Quitting ScopeCloud does not stop them: they keep running and billing until stopped, even with this computer off '
      + '(each stops itself at its maximum runtime). Stop them now, or leave them running on purpose?',
    buttons: ['Stop them and quit', 'Leave running and quit', 'Cancel'],
    defaultId: 0,
    cancelId: 2,
    noLink: true,
  };
}

const CHOICES: QuitChoice[] = ['stop-and-quit', 'leave-running', 'cancel'];

export async function askBeforeQuit(e: Pick<ElectronFacade, 'dialog'>, win: BrowserWindowLike | null, s: RunningSummary): Promise<QuitChoice> {
  if (s.running === 0) return 'leave-running';
  const { response } = await e.dialog.showMessageBox(win, quitPrompt(s));
  return CHOICES[response] ?? 'cancel';
}
