/**
 * The set-up the bucket-rule tests share (lifecycle-rule, cold-storage-rule): an in-process
 * `scopecloud config` per workstation, its state dir `<home>/<name>`, using the given keys and none
 * of the machine's AWS config (the SDK's default chain reads the process's own environment, so
 * that is set too); and a moto bucket, optionally holding a rule of someone else's that every
 * change must keep.
 */
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketLifecycleConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { configCommand } from '../../../main/cli/commands/config.ts';
import { runCommand } from '../../support/cli-in-process.ts';
import type { MotoServer } from '../../support/moto.ts';

const AWS_VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_EC2_METADATA_DISABLED', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'] as const;

export function cliEnv(home: string, name: string, credentials: { accessKeyId: string; secretAccessKey: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SCOPECLOUD_HOME: join(home, name),
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
  };
  delete env.AWS_PROFILE;
  for (const k of AWS_VARS) process.env[k] = env[k];
  delete process.env.AWS_PROFILE;
  return env;
}

export const config = (argv: string[], env: NodeJS.ProcessEnv) => runCommand(configCommand, argv, env);

/** A rule the bucket had before ScopeCloud: kept as it is by every add and remove. */
export const UNRELATED_RULE = { ID: 'expire-scratch', Status: 'Enabled' as const, Filter: { Prefix: 'scratch/' }, Expiration: { Days: 30 } };

export async function motoBucket(moto: MotoServer, bucket: string, o: { unrelatedRule?: boolean } = {}): Promise<S3Client> {
  const s3 = new S3Client({ region: moto.region, endpoint: moto.endpoint, forcePathStyle: true, credentials: moto.credentials });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  if (o.unrelatedRule) await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [UNRELATED_RULE] } }));
  return s3;
}
