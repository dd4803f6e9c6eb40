/**
 * Profiles and the default region from the shared AWS files (~/.aws/config and
 * ~/.aws/credentials, or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE), as the SDK reads them.
 * Only names are read; no secret leaves the files.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

interface IniSection {
  name: string;
  values: Record<string, string>;
}

export function parseIni(text: string): IniSection[] {
  const out: IniSection[] = [];
  let cur: IniSection | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      cur = { name: header[1], values: {} };
      out.push(cur);
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && cur && !/^\s/.test(raw)) cur.values[kv[1].trim()] = kv[2];
  }
  return out;
}

/**
 * Profile names from both files: `[default]` and `[profile x]` in config, `[x]` in credentials;
 * `[sso-session x]` and `[services x]` sections are not profiles.
 */
export function profilesFrom(configText: string, credentialsText: string): { profiles: string[]; defaultRegion: string | null } {
  const names = new Set<string>();
  let defaultRegion: string | null = null;
  for (const s of parseIni(configText)) {
    const name = s.name === 'default' ? 'default' : /^profile\s+(.+)$/.exec(s.name)?.[1]?.trim();
    if (!name) continue;
    names.add(name);
    if (name === 'default' && s.values.region) defaultRegion = s.values.region.trim();
  }
  for (const s of parseIni(credentialsText)) names.add(s.name);
  const profiles = [...names].sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
  return { profiles, defaultRegion };
}

export async function listAwsProfiles(env: NodeJS.ProcessEnv = process.env): Promise<{ profiles: string[]; defaultRegion: string | null }> {
  const home = env.HOME || homedir();
  const read = (p: string) => readFile(p, 'utf8').catch(() => '');
  const [config, credentials] = await Promise.all([
    read(env.AWS_CONFIG_FILE || join(home, '.aws', 'config')),
    read(env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials')),
  ]);
  const found = profilesFrom(config, credentials);
  return { profiles: found.profiles, defaultRegion: env.AWS_REGION || env.AWS_DEFAULT_REGION || found.defaultRegion };
}
