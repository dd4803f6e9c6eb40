/**
 * The shape of a JSON answer (its keys and the types of its values, recursively), to tell whether
 * two implementations of one contract answer alike without comparing their data.
 *
 * Contract of `shapeDifferences(a, b)`: one line per difference, each naming its path: a key
 * present on one side only, or a value whose type differs where neither side is null (a nullable
 * field may be null on one side). Arrays are compared by their first elements, when both have
 * one; an empty array matches any array.
 */
export function shapeDifferences(a: unknown, b: unknown, path = '$'): string[] {
  if (a === null || b === null || a === undefined || b === undefined) return [];
  const ta = kind(a),
    tb = kind(b);
  if (ta !== tb) return [`${path}: ${ta} vs ${tb}`];
  if (Array.isArray(a) && Array.isArray(b)) return a.length && b.length ? shapeDifferences(a[0], b[0], `${path}[0]`) : [];
  if (ta !== 'object') return [];
  const oa = a as Record<string, unknown>,
    ob = b as Record<string, unknown>;
  const out: string[] = [];
  for (const k of new Set([...Object.keys(oa), ...Object.keys(ob)])) {
    if (!(k in oa)) out.push(`${path}.${k}: only in the second`);
    else if (!(k in ob)) out.push(`${path}.${k}: only in the first`);
    else out.push(...shapeDifferences(oa[k], ob[k], `${path}.${k}`));
  }
  return out;
}

function kind(v: unknown): string {
  return Array.isArray(v) ? 'array' : typeof v;
}
