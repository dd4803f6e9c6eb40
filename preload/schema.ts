/**
 * A tiny runtime schema library: each schema both validates an unknown value and carries its
 * static type (`Infer<typeof s>`), so the contract is written once and checked at every boundary.
 * Validation never coerces; it returns the value unchanged or throws `ContractError` naming the path.
 */

export class ContractError extends Error {
  readonly code = 'invalid-message';
  readonly path: string;
  constructor(path: string, expected: string) {
    super(`${path || 'message'}: expected ${expected}`);
    this.name = 'ContractError';
    this.path = path;
  }
}

export interface Schema<T> {
  readonly describe: string;
  /** Returns `value` typed as T, or throws ContractError. */
  check(value: unknown, path?: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function schema<T>(describe: string, check: (value: unknown, path: string) => T): Schema<T> {
  return { describe, check: (value, path = '') => check(value, path) };
}

export const str = (opts: { min?: number; max?: number } = {}): Schema<string> =>
  schema('string', (v, p) => {
    if (typeof v !== 'string') throw new ContractError(p, 'a string');
    if (opts.min !== undefined && v.length < opts.min) throw new ContractError(p, `at least ${opts.min} characters`);
    if (v.length > (opts.max ?? 4096)) throw new ContractError(p, `at most ${opts.max ?? 4096} characters`);
    return v;
  });

export const num = (opts: { min?: number; max?: number; int?: boolean } = {}): Schema<number> =>
  schema('number', (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ContractError(p, 'a finite number');
    if (opts.int && !Number.isInteger(v)) throw new ContractError(p, 'an integer');
    if (opts.min !== undefined && v < opts.min) throw new ContractError(p, `a number >= ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) throw new ContractError(p, `a number <= ${opts.max}`);
    return v;
  });

export const bool: Schema<boolean> = schema('boolean', (v, p) => {
  if (typeof v !== 'boolean') throw new ContractError(p, 'true or false');
  return v;
});

export const literal = <const L extends string | number | boolean>(value: L): Schema<L> =>
  schema(JSON.stringify(value), (v, p) => {
    if (v !== value) throw new ContractError(p, JSON.stringify(value));
    return value;
  });

export const oneOf = <const L extends readonly string[]>(values: L): Schema<L[number]> =>
  schema(values.join('|'), (v, p) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new ContractError(p, `one of ${values.join(', ')}`);
    return v as L[number];
  });

export const nullable = <T>(inner: Schema<T>): Schema<T | null> => schema(`${inner.describe} or null`, (v, p) => (v === null ? null : inner.check(v, p)));

export const array = <T>(inner: Schema<T>, opts: { max?: number } = {}): Schema<T[]> =>
  schema(`array of ${inner.describe}`, (v, p) => {
    if (!Array.isArray(v)) throw new ContractError(p, 'an array');
    const max = opts.max ?? 1_000_000;
    if (v.length > max) throw new ContractError(p, `at most ${max} items`);
    for (let i = 0; i < v.length; i++) inner.check(v[i], `${p}[${i}]`);
    return v as T[];
  });

/** `void` requests: accepts undefined or null (what JSON and IPC deliver for "no argument"). */
export const none: Schema<void> = schema('nothing', (v, p) => {
  if (v !== undefined && v !== null) throw new ContractError(p, 'no argument');
});

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Schema<infer T> ? (undefined extends T ? K : never) : never }[keyof S];
type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };

export const optional = <T>(inner: Schema<T>): Schema<T | undefined> =>
  schema(`optional ${inner.describe}`, (v, p) => (v === undefined ? undefined : inner.check(v, p)));

/** Plain objects only; unknown keys are rejected so a typo never passes silently. */
export const object = <S extends Shape>(shape: S): Schema<{ [K in keyof ObjectOf<S>]: ObjectOf<S>[K] }> =>
  schema('object', (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ContractError(p, 'an object');
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new ContractError(p, 'a plain object');
    const rec = v as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      if (!Object.hasOwn(shape, key)) throw new ContractError(p ? `${p}.${key}` : key, 'no such field');
    }
    for (const [key, s] of Object.entries(shape)) s.check(rec[key], p ? `${p}.${key}` : key);
    return v as never;
  });

/** Discriminated union on a `kind`-like field. */
export const union = <K extends string, M extends Record<string, Schema<Record<string, unknown>>>>(key: K, members: M): Schema<Infer<M[keyof M]>> =>
  schema(`union on ${key}`, (v, p) => {
    if (typeof v !== 'object' || v === null) throw new ContractError(p, 'an object');
    const tag = (v as Record<string, unknown>)[key];
    if (typeof tag !== 'string' || !Object.hasOwn(members, tag)) {
      throw new ContractError(p ? `${p}.${key}` : key, `one of ${Object.keys(members).join(', ')}`);
    }
    return members[tag].check(v, p) as Infer<M[keyof M]>;
  });

export const bytes: Schema<Uint8Array> = schema('bytes', (v, p) => {
  if (!(v instanceof Uint8Array)) throw new ContractError(p, 'bytes');
  return v;
});
