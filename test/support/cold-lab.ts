/**
 * The servers of a restore test: versitygw as the bucket behind test/support/glacier-proxy.ts
 * (archive classes, RestoreObject, `x-amz-restore`), moto for EC2/IAM/SSM/STS/Budgets with the
 * analysis instance profile already created for `prefix`, and clients of both. Restores complete
 * only at `proxy.completeRestores()` unless `restoreMs` is given.
 *
 * Contract: `stop()` destroys the clients and stops the proxy and both servers; safe after a
 * failed start of the caller's own set-up.
 */
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { ensureJobInstanceProfile } from '../../main/iam/instance-profile.ts';
import { startGlacierProxy, type GlacierProxy } from './glacier-proxy.ts';
import { seedAl2023, startMoto, type MotoServer } from './moto.ts';
import { startVersitygw, type Versitygw } from './versitygw.ts';

export interface ColdLab {
  gw: Versitygw;
  moto: MotoServer;
  proxy: GlacierProxy;
  bucket: string;
  /** S3 through the proxy, with versitygw's credentials. */
  s3: S3Client;
  ec2: EC2Client;
  stop(): Promise<void>;
}

export async function startColdLab(o: { prefix: string; dir?: string; bucket?: string; restoreMs?: number; seedImage?: boolean }): Promise<ColdLab> {
  const [gw, moto] = await Promise.all([startVersitygw(o.dir ? { root: join(o.dir, 'gw') } : {}), startMoto()]);
  if (o.seedImage) await seedAl2023(moto);
  const proxy = await startGlacierProxy({ target: gw.endpoint, restoreMs: o.restoreMs ?? 3_600_000 });
  const bucket = await gw.createBucket(o.bucket);
  const s3 = new S3Client({ region: gw.region, endpoint: proxy.endpoint, forcePathStyle: true, credentials: gw.credentials });
  const ec2 = new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
  const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: moto.credentials });
  try {
    await ensureJobInstanceProfile(iam, { bucket, prefix: o.prefix, consent: true });
  } finally {
    iam.destroy();
  }
  return {
    gw,
    moto,
    proxy,
    bucket,
    s3,
    ec2,
    async stop() {
      s3.destroy();
      ec2.destroy();
      await proxy.stop();
      await Promise.all([gw.stop(), moto.stop()]);
    },
  };
}
