/**
 * `scopecloud cost --assign SESSION --to PERSON` and `--assign-under FOLDER --to PERSON`: the
 * By person table's sessions without an owner assigned to a person, as the Budget view does
 * (app/storage-cost.ts `assign`; kept in the destination for every app and rig on it).
 * Bad input (a person name, a session not in the listing) exits 2 with the reason; a stored
 * document that cannot be used or keeps changing exits 1 with nothing written.
 */
import { parseArgs } from 'node:util';
import { CliError, ExitCode, type CliIo } from '../command.ts';
import { toCliError } from '../errors.ts';
import type { StorageCostService } from '../../app/storage-cost.ts';
import { AssignmentError } from '../../cost/session-assignments.ts';

export const ASSIGN_HELP = `Sessions without an owner (recorded before manifests named who recorded them):
  scopecloud cost --assign SESSION --to PERSON        one session (a folder as listed below the table)
  scopecloud cost --assign-under FOLDER --to PERSON   every unattributed session at or below FOLDER
Kept in the destination (attribution/assignments.json), so every app and rig on it splits
storage the same way; no data or manifest is changed. Another app sees it at its next listing.`;

export function isAssign(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--assign' || a === '--assign-under' || a.startsWith('--assign=') || a.startsWith('--assign-under='));
}

export async function runAssign(argv: string[], io: CliIo, open: () => Promise<{ storage: StorageCostService; by: string }>): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { assign: { type: 'string' }, 'assign-under': { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean', default: false } },
    }));
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${ASSIGN_HELP}`, ExitCode.usage);
  }
  const session = values.assign;
  const under = values['assign-under'];
  if ((session === undefined) === (under === undefined)) throw new CliError('give one of --assign SESSION or --assign-under FOLDER', ExitCode.usage);
  if (values.to === undefined) throw new CliError('--to PERSON is needed: who recorded the sessions', ExitCode.usage);
  const { storage, by } = await open().catch((e: unknown) => {
    throw toCliError(e);
  });
  let assigned: string[];
  try {
    ({ assigned } = await storage.assign({ scope: session !== undefined ? 'session' : 'prefix', key: session ?? under ?? '', owner: values.to, by }));
  } catch (e) {
    if (e instanceof AssignmentError) throw new CliError(e.message, e.code === 'BAD_PERSON' || e.code === 'BAD_SESSION' ? ExitCode.usage : ExitCode.failure);
    throw toCliError(e);
  }
  const owner = values.to.trim();
  if (values.json) io.out(JSON.stringify({ owner, assigned }, null, 2));
  else {
    io.out(`Assigned ${assigned.length} session${assigned.length === 1 ? '' : 's'} to ${owner}:`);
    for (const s of assigned) io.out(`  ${s}`);
  }
  return ExitCode.ok;
}
