/**
 * Where ScopeCloud keeps its state. One root, overridable with SCOPECLOUD_HOME:
 *   settings.json   settings (conf / electron-store)
 *   queue/          the upload journal (crash-safe queue)
 *   logs/           rotating logs
 *   archive/        the embedded default upload target (local archive)
 *   cache/          Cost Explorer and other cached answers
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface StatePaths {
  root: string;
  queue: string;
  logs: string;
  archive: string;
  cache: string;
  jobs: string;
}

export function statePaths(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): StatePaths {
  let root = env.SCOPECLOUD_HOME;
  if (!root) {
    if (platform === 'win32') root = join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'ScopeCloud');
    else if (platform === 'darwin') root = join(homedir(), 'Library', 'Application Support', 'ScopeCloud');
    else root = join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'scopecloud');
  }
  return {
    root,
    queue: join(root, 'queue'),
    logs: join(root, 'logs'),
    archive: join(root, 'archive'),
    cache: join(root, 'cache'),
    jobs: join(root, 'jobs'),
  };
}
