/** Types of fetch-electron.mjs (plain JS so that it runs on whatever Node runs npm). */
export interface ElectronFetch {
  ok: boolean;
  line: string;
}
export function downloadFailureReason(output: string): string;
export function fetchElectron(env?: NodeJS.ProcessEnv): Promise<ElectronFetch>;
