/**
 * Where `scopecloud demo` keeps what it makes: a state folder of its own under `<state>/demo`
 * (its upload queue, its archive with the session and the analysis job, scratch), so a demo never
 * enters the user's upload queue or destination. The app lists the analysis in that archive beside
 * the destination's, labelled as the demo's (main/app/jobs-context.ts); a new demo run replaces
 * the folder, so only the latest run is listed.
 */
import { join } from 'node:path';
import { statePaths, type StatePaths } from '../config/paths.ts';

/** The demo's folder (`scopecloud demo` without --dir). */
export function demoRoot(paths: StatePaths): string {
  return join(paths.root, 'demo');
}

/** The demo's own state (queue, archive, jobs) inside its folder. */
export function demoStatePaths(root: string): StatePaths {
  return statePaths({ SCOPECLOUD_HOME: join(root, 'state') });
}
