/**
 * Settings for the app: read and save in the UI's terms (settings-mapping.ts), the first-run
 * checks, and the watched-folder list. Saving validates the whole result before anything is
 * written; `onSaved` lets the acquisition follow what changed.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { AwsCheckResult, AwsProfiles, Settings as UiSettings, SettingsPatch } from '../../preload/api.ts';
import type { Settings } from '../config/schema.ts';
import type { SettingsStore } from '../config/store.ts';
import { SettingsError } from '../config/validate.ts';
import { createAwsClients } from '../aws/clients.ts';
import { AppError } from './app-errors.ts';
import { checkAws, type AwsCheckRequest, type CheckClients } from './aws-check.ts';
import { listAwsProfiles } from './aws-profiles.ts';
import { checkLocalArchive } from './local-archive-check.ts';
import { isUnder } from './acquisition-mapping.ts';
import { checkFolder } from '../watch/folder-health.ts';
import { applySettingsPatch, settingsProblem, toUiSettings } from './settings-mapping.ts';
import type { EventHub } from './events.ts';

export interface SettingsDeps {
  store: SettingsStore;
  defaultArchiveDir: string;
  env: NodeJS.ProcessEnv;
  hub: EventHub;
  onSaved: (before: Settings, after: Settings) => Promise<void>;
  /** Clients for the AWS check (default: the standard chain for the form's profile and region). */
  checkClients?: (req: AwsCheckRequest) => CheckClients;
}

export interface SettingsApi {
  current(): Settings;
  get(): UiSettings;
  save(patch: SettingsPatch): Promise<UiSettings>;
  listAwsProfiles(): Promise<AwsProfiles>;
  checkAws(req: AwsCheckRequest): Promise<AwsCheckResult>;
  checkLocalArchive(archiveDir: string): Promise<{ ok: boolean; problems: Array<{ field: string; message: string }> }>;
  addFolder(path: string): Promise<void>;
  removeFolder(path: string): Promise<void>;
  setBandwidthLimit(bytesPerSec: number | null): Promise<void>;
}

export function createSettingsApi(d: SettingsDeps): SettingsApi {
  const read = (): Settings => {
    try {
      return d.store.get();
    } catch (e) {
      if (e instanceof SettingsError) throw settingsProblem(e.errors);
      throw e;
    }
  };
  let saving: Promise<unknown> = Promise.resolve();

  /** Saves serially: each patch applies to what the previous one saved. */
  function save(patch: SettingsPatch): Promise<UiSettings> {
    const run = async () => {
      const before = read();
      const after = applySettingsPatch(before, patch, d.defaultArchiveDir);
      try {
        d.store.replace(after);
      } catch (e) {
        if (e instanceof SettingsError) throw settingsProblem(e.errors);
        throw e;
      }
      d.hub.changed('settings', 'status', 'acquisition');
      await d.onSaved(before, after);
      return toUiSettings(after, d.defaultArchiveDir);
    };
    const next = saving.then(run, run);
    saving = next.catch(() => undefined);
    return next;
  }

  const clientsFor =
    d.checkClients ??
    ((req: AwsCheckRequest): CheckClients => {
      const c = createAwsClients({ region: req.region.trim(), profile: req.profile.trim(), s3Endpoint: req.endpoint.trim(), env: d.env, maxSockets: 4 });
      return { s3: c.s3, sts: c.sts, destroy: () => c.destroy() };
    });

  return {
    current: read,
    get: () => toUiSettings(read(), d.defaultArchiveDir),
    save,
    listAwsProfiles: () => listAwsProfiles(d.env),
    checkAws: (req) => checkAws(req, clientsFor),
    checkLocalArchive,

    async addFolder(raw) {
      const path = raw.trim().replace(/(.)\/+$/, '$1');
      if (!isAbsolute(path))
        throw new AppError('INVALID_FOLDER', `give the folder's absolute path, for example /data/acquisition/rig-B (got "${path}")`, 'path');
      const st = await stat(path).catch(() => null);
      if (!st) throw new AppError('INVALID_FOLDER', `${path} does not exist (is the drive mounted?)`, 'path');
      if (!st.isDirectory()) throw new AppError('INVALID_FOLDER', `${path} is a file; watch the folder it is in`, 'path');
      const check = await checkFolder(path);
      if (check.state === 'unreadable') throw new AppError('INVALID_FOLDER', `${path} cannot be watched: ${check.reason}`, 'path');
      const s = read();
      if (s.target.kind === 'local' && (isUnder(path, s.target.path) || isUnder(s.target.path, path))) {
        throw new AppError('INVALID_FOLDER', `${path} overlaps the archive folder ${s.target.path}: archived files would be uploaded again`, 'path');
      }
      if (s.watch.folders.includes(path)) return;
      await save({ watchedFolders: [...s.watch.folders, path] });
    },

    async removeFolder(path) {
      const s = read();
      if (!s.watch.folders.includes(path)) return;
      await save({ watchedFolders: s.watch.folders.filter((f) => f !== path) });
    },

    async setBandwidthLimit(bytesPerSec) {
      await save({ bandwidthLimitBytesPerSec: bytesPerSec });
    },
  };
}
