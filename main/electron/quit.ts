/**
 * Quitting asks EC2 first, never a cached count: with instances running it asks to stop them
 * and quit, leave them running and quit, or cancel (leaving them says plainly that billing
 * continues); when EC2 cannot be asked it says so and asks whether to quit anyway.
 */
import { formatHourly, type RunningCheck, type RunningSummary } from '../app/running-check.ts';
import type { ElectronFacade, MessageBoxOptionsLike } from './facade.ts';

export type QuitChoice = 'stop-and-quit' | 'leave-running' | 'cancel';

export function quitPrompt(s: RunningSummary): MessageBoxOptionsLike {
  const plural = s.running === 1 ? 'instance is' : 'instances are';
  return {
    type: 'warning',
    title: 'Instances are still running',
    message: `${s.running} ${plural} still running, costing ${formatHourly(s)}.`,
    detail:
      'Quitting ScopeCloud does not stop them: they keep running and billing until stopped, even with this computer off ' +
      '(each stops itself at its maximum runtime). Stop them now, or leave them running on purpose?',
    buttons: ['Stop them and quit', 'Leave running and quit', 'Cancel'],
    defaultId: 0,
    cancelId: 2,
    noLink: true,
  };
}

export function unknownPrompt(reason: string): MessageBoxOptionsLike {
  return {
    type: 'warning',
    title: 'Could not check for running instances',
    message: 'ScopeCloud could not ask EC2 whether instances are still running.',
    detail:
      `${reason}\n\nInstances started from ScopeCloud keep running and billing after it quits, until they stop themselves at their maximum runtime. ` +
      'Check them in the AWS console if you are not sure.',
    buttons: ['Quit anyway', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    noLink: true,
  };
}

const CHOICES: QuitChoice[] = ['stop-and-quit', 'leave-running', 'cancel'];

export async function askBeforeQuit(e: Pick<ElectronFacade, 'dialog'>, check: RunningCheck): Promise<QuitChoice> {
  if (check.kind === 'unknown') {
    const { response } = await e.dialog.showMessageBox(unknownPrompt(check.reason));
    return response === 0 ? 'leave-running' : 'cancel';
  }
  if (check.summary.running === 0) return 'leave-running';
  const { response } = await e.dialog.showMessageBox(quitPrompt(check.summary));
  return CHOICES[response] ?? 'cancel';
}
