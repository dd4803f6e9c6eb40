/**
 * The AWS connection for the current settings: region, profile and S3 endpoint. The one place
 * that decides the region (settings, then AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1),
 * so clients, prices, job records and launches agree.
 */
import type { Settings } from '../config/schema.ts';
import type { AwsConnection } from './clients.ts';

export function awsConnection(s: Settings, env: NodeJS.ProcessEnv): AwsConnection & { env: NodeJS.ProcessEnv } {
  const t = s.target.kind === 's3' ? s.target : null;
  return {
    region: t?.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    profile: t?.profile || env.AWS_PROFILE || '',
    s3Endpoint: t?.endpoint || '',
    env,
  };
}
