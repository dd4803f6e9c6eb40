/**
 * Object keys for acquired files: `<watched folder name>/<path inside it>`, posix separators.
 * Two watched folders with the same name are told apart by a short hash of their full path.
 */
import { basename, relative, sep } from 'node:path';
import { createHash } from 'node:crypto';

export function rootLabels(roots: readonly string[]): Map<string, string> {
  const byName = new Map<string, string[]>();
  for (const r of roots) {
    const name = basename(r) || 'root';
    byName.set(name, [...(byName.get(name) ?? []), r]);
  }
  const labels = new Map<string, string>();
  for (const [name, list] of byName) {
    for (const r of list) {
      labels.set(r, list.length === 1 ? name : `${name}-${createHash('sha256').update(r).digest('hex').slice(0, 6)}`);
    }
  }
  return labels;
}

export function keyFor(rootLabel: string, root: string, path: string): string {
  const rel = relative(root, path).split(sep).join('/');
  if (rel.startsWith('..')) throw new Error(`${path} is outside ${root}`);
  return rel ? `${rootLabel}/${rel}` : rootLabel;
}

/**
 * The key prefix (no trailing slash) a watched folder's files are stored under, for a folder at
 * or below one of `roots`; null when no root holds it. The deepest root wins.
 */
export function folderKeyPrefix(roots: readonly string[], folder: string): string | null {
  const labels = rootLabels(roots);
  const holding = roots
    .filter((r) => {
      const rel = relative(r, folder);
      return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
    })
    .sort((a, b) => b.length - a.length)[0];
  return holding === undefined ? null : keyFor(labels.get(holding) ?? 'root', holding, folder);
}
