/**
 * Persistent settings. The backing store is anything with conf's surface (`conf` under plain
 * Node, `electron-store` in the app — it extends conf), injected so this module never imports
 * electron. Writes are validated as a whole: a bad value is rejected with a message naming the
 * field and nothing is saved.
 */
import { defaultSettings, type Settings } from './schema.ts';
import { SettingsError, settingsErrors, validateSettings } from './validate.ts';

/**
 * The part of conf / electron-store we use. Assigning `store` replaces the whole object in one
 * atomic file write, so no reader (the CLI beside the app, a crash) ever sees half a save.
 */
export interface KeyValueBackend {
  store: Record<string, unknown>;
  clear(): void;
}

export interface SettingsStore {
  get(): Settings;
  /** Replace the whole settings object (validated). */
  replace(next: Settings): Settings;
  /** Set one dotted field from a string (CLI) or typed value (UI); validated. */
  setField(path: string, value: unknown): Settings;
  reset(): Settings;
}

export function createSettingsStore(backend: KeyValueBackend, archiveDir: string): SettingsStore {
  const defaults = defaultSettings(archiveDir);

  function current(): Settings {
    const raw = backend.store;
    if (!raw || Object.keys(raw).length === 0) return structuredClone(defaults);
    const merged = mergeDefaults(defaults, raw) as unknown as Settings;
    const errors = settingsErrors(merged);
    if (errors.length > 0) throw new SettingsError(errors);
    return merged;
  }

  function replace(next: Settings): Settings {
    const valid = validateSettings(next);
    backend.store = valid as unknown as Record<string, unknown>;
    return valid;
  }

  return {
    get: current,
    replace,
    setField(path, value) {
      const next = structuredClone(current()) as unknown as Record<string, unknown>;
      assignPath(next, path, typeof value === 'string' ? coerce(getPath(defaults, path), value) : value);
      return replace(next as unknown as Settings);
    },
    reset() {
      backend.clear();
      return structuredClone(defaults);
    },
  };
}

function mergeDefaults(def: unknown, raw: unknown): unknown {
  if (isPlainObject(def) && isPlainObject(raw)) {
    const out: Record<string, unknown> = { ...def };
    for (const [k, v] of Object.entries(raw)) out[k] = k in def ? mergeDefaults(def[k], v) : v;
    return out;
  }
  return raw === undefined ? def : raw;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function assignPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Record<string, unknown> = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (!isPlainObject(next)) throw new SettingsError([{ field: path, message: 'is not a settings field' }]);
    cur = next;
  }
  const leaf = parts[parts.length - 1];
  if (!(leaf in cur) && !(path === 'target.kind')) {
    throw new SettingsError([{ field: path, message: 'is not a settings field' }]);
  }
  cur[leaf] = value;
}

/** Turns a CLI string into the type the default value has (number, boolean, list, null). */
function coerce(example: unknown, text: string): unknown {
  if (text === 'null' || text === '') {
    if (example === null || typeof example === 'number') return text === '' ? text : null;
  }
  if (typeof example === 'number' || example === null) {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  if (typeof example === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (Array.isArray(example))
    return text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return text;
}
