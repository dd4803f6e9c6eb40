/**
 * The service container: builds every main-process service from settings, once, with real
 * side effects (fs, clock, AWS clients). The CLI, `scopecloud serve` and the Electron adapter all
 * obtain services here; tests build services directly with their own injected parts.
 */
import { mkdirSync } from 'node:fs';
import Conf from 'conf';
import { statePaths, type StatePaths } from './config/paths.ts';
import { createSettingsStore, type KeyValueBackend, type SettingsStore } from './config/store.ts';
import type { Settings } from './config/schema.ts';
import { createAwsClients, type AwsClients } from './aws/clients.ts';

export interface ServiceContainer {
  paths: StatePaths;
  settings: SettingsStore;
  /** AWS clients for the configured region/profile/endpoint; created on first use. */
  aws(): AwsClients;
  dispose(): Promise<void>;
}

export interface ContainerOptions {
  env?: NodeJS.ProcessEnv;
  /** A conf-compatible backend (electron-store in the app); default: conf in the state dir. */
  backend?: KeyValueBackend;
}

export function openSettings(env: NodeJS.ProcessEnv = process.env, backend?: KeyValueBackend): { paths: StatePaths; settings: SettingsStore } {
  const paths = statePaths(env);
  mkdirSync(paths.root, { recursive: true });
  const store = backend ?? (new Conf({ cwd: paths.root, configName: 'settings', projectName: 'scopecloud' }) as unknown as KeyValueBackend);
  return { paths, settings: createSettingsStore(store, paths.archive) };
}

/** AWS connection facts from settings (region falls back to AWS_REGION, then us-east-1). */
export function awsConnection(s: Settings, env: NodeJS.ProcessEnv) {
  const t = s.target.kind === 's3' ? s.target : null;
  return {
    region: t?.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    profile: t?.profile || env.AWS_PROFILE || '',
    s3Endpoint: t?.endpoint || '',
    env,
  };
}

export async function createServiceContainer(opts: ContainerOptions = {}): Promise<ServiceContainer> {
  const env = opts.env ?? process.env;
  const { paths, settings } = openSettings(env, opts.backend);
  let aws: AwsClients | null = null;
  return {
    paths,
    settings,
    aws() {
      aws ??= createAwsClients(awsConnection(settings.get(), env));
      return aws;
    },
    async dispose() {
      aws?.destroy();
    },
  };
}
