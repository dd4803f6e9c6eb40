/**
 * AWS SDK clients built from settings. Credentials come only from the standard chain
 * (environment, ~/.aws profiles, SSO, container/instance roles). Endpoints: an explicit
 * endpoint in settings wins, then AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then AWS.
 * Any custom endpoint switches S3 to path-style addressing (S3-compatible stores need it).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { IAMClient } from '@aws-sdk/client-iam';
import { BudgetsClient } from '@aws-sdk/client-budgets';
import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { PricingClient } from '@aws-sdk/client-pricing';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { pricingApiRegion } from './pricing-region.ts';
import { createS3Client, sharedRequestHandler } from './s3-client.ts';

export interface AwsConnection {
  region: string;
  /** Named profile; '' = default chain. */
  profile: string;
  /** Explicit S3 endpoint from settings; '' = none. */
  s3Endpoint: string;
  env?: NodeJS.ProcessEnv;
  /** Max sockets per client (uploads run many parts at once). */
  maxSockets?: number;
}

export type ServiceId = 's3' | 'ec2' | 'ssm' | 'sts' | 'iam' | 'budgets' | 'cost_explorer' | 'cloudwatch' | 'pricing';

/** Resolves the endpoint for a service from the AWS_ENDPOINT_URL family; undefined = AWS default. */
export function endpointFor(service: ServiceId, env: NodeJS.ProcessEnv, explicit = ''): string | undefined {
  if (explicit) return explicit;
  const specific = env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`];
  if (specific) return specific;
  return env.AWS_ENDPOINT_URL || undefined;
}

export interface AwsClients {
  s3: S3Client;
  ec2: EC2Client;
  ssm: SSMClient;
  sts: STSClient;
  iam: IAMClient;
  budgets: BudgetsClient;
  costExplorer: CostExplorerClient;
  cloudwatch: CloudWatchClient;
  /** Served only from us-east-1, eu-central-1 and ap-south-1: the one nearest the region. */
  pricing: PricingClient;
  destroy(): void;
}

export function createAwsClients(conn: AwsConnection): AwsClients {
  const env = conn.env ?? process.env;
  const credentials = fromNodeProviderChain(conn.profile ? { profile: conn.profile } : {});
  const requestHandler = sharedRequestHandler(conn.maxSockets ?? 64);
  const base = (service: ServiceId, explicit = '') => {
    const endpoint = endpointFor(service, env, explicit);
    return { region: conn.region, credentials, requestHandler, ...(endpoint ? { endpoint } : {}) };
  };
  const s3Endpoint = endpointFor('s3', env, conn.s3Endpoint);
  const clients = {
    s3: createS3Client({ region: conn.region, credentials, requestHandler, endpoint: s3Endpoint }),
    ec2: new EC2Client(base('ec2')),
    ssm: new SSMClient(base('ssm')),
    sts: new STSClient(base('sts')),
    // IAM, Budgets and Cost Explorer are global services served from us-east-1.
    iam: new IAMClient({ ...base('iam'), region: 'us-east-1' }),
    budgets: new BudgetsClient({ ...base('budgets'), region: 'us-east-1' }),
    costExplorer: new CostExplorerClient({ ...base('cost_explorer'), region: 'us-east-1' }),
    cloudwatch: new CloudWatchClient(base('cloudwatch')),
    // a price refresh is a user action: one retry at most, then it reports why it failed
    pricing: new PricingClient({ ...base('pricing'), region: pricingApiRegion(conn.region), maxAttempts: 2 }),
  };
  return {
    ...clients,
    destroy() {
      for (const c of Object.values(clients)) c.destroy();
    },
  };
}
