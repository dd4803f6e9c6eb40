/**
 * Who curates, besides the owner name: for results kept in S3 the AWS caller identity (STS
 * GetCallerIdentity's ARN, as the budget override log records it), asked once per STS client (a
 * session: the client changes with the profile or endpoint); for results in a local folder the
 * operating-system user. A failed STS call is not remembered (the next curation asks again) and
 * does not block the curation: the record then carries the owner name only.
 */
import { userInfo } from 'node:os';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { CuratorIdentity } from './curation.ts';

export type StsSender = Pick<STSClient, 'send'>;

export interface CuratorIdentities {
  /** `sts`: the client of the S3 store holding the results; null for results in a local folder. */
  of(sts: StsSender | null): Promise<CuratorIdentity>;
}

export function createCuratorIdentities(deps: { osUser: () => string; onStsError?: (e: Error) => void }): CuratorIdentities {
  const arns = new WeakMap<StsSender, Promise<string>>();
  return {
    async of(sts) {
      if (!sts) return { osUser: deps.osUser() };
      let arn = arns.get(sts);
      if (!arn) {
        arn = sts.send(new GetCallerIdentityCommand({})).then((out) => {
          if (!out.Arn) throw new Error('STS GetCallerIdentity returned no ARN');
          return out.Arn;
        });
        arns.set(sts, arn);
        arn.catch(() => arns.delete(sts));
      }
      try {
        return { awsArn: await arn };
      } catch (e) {
        deps.onStsError?.(e as Error);
        return {};
      }
    },
  };
}

/** This process's operating-system user name ('unknown' when the system cannot say). */
export function systemOsUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
