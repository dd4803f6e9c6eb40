/**
 * The first-run "Check and connect" for Amazon S3: field formats first (the settings validator's
 * rules), then, only when they pass, who the credentials belong to (STS) and whether the bucket
 * is reachable (HeadBucket). Every problem names the form field it belongs to.
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCheckResult, FieldProblem } from '../../preload/api.ts';
import { defaultSettings } from '../config/schema.ts';
import { settingsErrors } from '../config/validate.ts';
import { awsFailure, isCredentialFailure } from '../common/aws-errors.ts';

export interface AwsCheckRequest {
  profile: string;
  region: string;
  bucket: string;
  endpoint: string;
}

/** Clients for one check; destroyed afterwards. */
export interface CheckClients {
  s3: Pick<S3Client, 'send'>;
  sts: Pick<STSClient, 'send'>;
  destroy(): void;
}

export function formatProblems(req: AwsCheckRequest): FieldProblem[] {
  const candidate = {
    ...defaultSettings('/'),
    target: {
      kind: 's3' as const,
      bucket: req.bucket.trim(),
      region: req.region.trim(),
      prefix: '',
      profile: req.profile.trim(),
      endpoint: req.endpoint.trim(),
    },
  };
  return settingsErrors(candidate)
    .filter((e) => e.field.startsWith('target.'))
    .map((e) => ({ field: e.field.slice('target.'.length), message: e.message }));
}

function errName(e: unknown): string {
  return (e as { name?: string })?.name ?? 'Error';
}
function errStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}
function errText(e: unknown): string {
  return ((e as { message?: string })?.message ?? String(e)).split('\n')[0];
}
function isNetworkError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  return (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH'].includes(code) ||
    errName(e) === 'TimeoutError' ||
    errName(e) === 'AbortError'
  );
}

export async function checkAws(req: AwsCheckRequest, clientsFor: (req: AwsCheckRequest) => CheckClients, timeoutMs = 10_000): Promise<AwsCheckResult> {
  const problems = formatProblems(req);
  if (problems.length > 0) return { ok: false, identity: null, problems };
  const clients = clientsFor(req);
  const bucket = req.bucket.trim();
  const profileLabel = req.profile.trim() ? `profile "${req.profile.trim()}"` : 'the default credentials';
  let identity: string | null = null;
  try {
    try {
      const who = await clients.sts.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(timeoutMs) });
      identity = who.Arn ?? null;
    } catch (e) {
      // S3-compatible stores (an endpoint is set) often have no STS: the bucket check decides.
      if (!req.endpoint.trim()) {
        const why = isCredentialFailure(awsFailure(e))
          ? `no working credentials for ${profileLabel} (${errText(e)}); sign in (aws sso login) or fix ~/.aws/config`
          : isNetworkError(e)
            ? `cannot reach AWS STS in ${req.region.trim()} (${errText(e)})`
            : `${profileLabel}: ${errName(e)}: ${errText(e)}`;
        problems.push({ field: isNetworkError(e) ? 'region' : 'profile', message: why });
        return { ok: false, identity: null, problems };
      }
    }
    try {
      await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      problems.push(bucketProblem(e, bucket, req, profileLabel));
    }
    return { ok: problems.length === 0, identity, problems };
  } finally {
    clients.destroy();
  }
}

function bucketProblem(e: unknown, bucket: string, req: AwsCheckRequest, profileLabel: string): FieldProblem {
  const status = errStatus(e);
  const name = errName(e);
  if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket')
    return { field: 'bucket', message: `bucket "${bucket}" does not exist (create it first, or check the name)` };
  if (status === 403 || name === 'Forbidden' || name === 'AccessDenied')
    return { field: 'bucket', message: `${profileLabel} may not use bucket "${bucket}" (access denied)` };
  if (status === 301 || name === 'PermanentRedirect') return { field: 'region', message: `bucket "${bucket}" is in another region than ${req.region.trim()}` };
  if (isCredentialFailure(awsFailure(e))) return { field: 'profile', message: `no working credentials for ${profileLabel} (${errText(e)})` };
  if (isNetworkError(e)) {
    return req.endpoint.trim()
      ? { field: 'endpoint', message: `cannot reach ${req.endpoint.trim()} (${errText(e)})` }
      : { field: 'region', message: `cannot reach S3 in ${req.region.trim()} (${errText(e)})` };
  }
  return { field: 'bucket', message: `checking bucket "${bucket}" failed: ${name}${status ? ` (HTTP ${status})` : ''}: ${errText(e)}` };
}
