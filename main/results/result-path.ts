/**
 * Where a result file named in `checksums.sha256` lands on this machine.
 *
 * Contract: a name is '/'-separated, relative, and made of plain segments; one holding `\` or `:`
 * (a Windows separator, drive or stream), a control character, an empty, `.` or `..` segment, or a
 * leading `/` is refused, and the joined path must resolve inside `dir` under the given path
 * flavour (posix or win32), so no name can write outside the results folder on any platform.
 */
import * as nodePath from 'node:path';
import { JobError } from '../jobs/job-errors.ts';

export type PathApi = Pick<typeof nodePath, 'resolve' | 'relative' | 'isAbsolute' | 'sep'>;

export function resultFilePath(dir: string, name: string, path: PathApi = nodePath): string {
  const unsafe = (why: string) => new JobError('CHECKSUM_MISMATCH', `checksum list names an unsafe path "${name}": ${why}`);
  if (/[\\:]/.test(name)) throw unsafe('it contains "\\" or ":"');
  if (/[\u0000-\u001f]/.test(name)) throw unsafe('it contains a control character');
  if (name.startsWith('/')) throw unsafe('it is absolute');
  const parts = name.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw unsafe('it has an empty, "." or ".." part');
  const root = path.resolve(dir);
  const local = path.resolve(root, ...parts);
  const rel = path.relative(root, local);
  if (!rel || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) throw unsafe('it resolves outside the results folder');
  return local;
}
