/**
 * The least-privilege policy of the instance role that analysis instances run with.
 *
 * An instance may read what is under the app's prefix (inputs, the content-addressed worker, its
 * job's objects) and write only below `<prefix>/jobs/` (status, heartbeat, log, results). No
 * listing, no deletes, no other bucket, no other service. The trust policy lets only EC2 assume it.
 */

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Array<Record<string, unknown>>;
}

function arnPrefix(bucket: string, prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return `arn:aws:s3:::${bucket}/${p ? p + '/' : ''}`;
}

export function jobRolePolicy(bucket: string, prefix: string): PolicyDocument {
  const base = arnPrefix(bucket, prefix);
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadAppObjects', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${base}*`] },
      { Sid: 'WriteJobObjects', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: [`${base}jobs/*`] },
    ],
  };
}

export const EC2_TRUST_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
