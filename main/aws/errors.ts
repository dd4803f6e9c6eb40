/**
 * Typed errors for instance work, each with a `code` and a one-line message a newcomer can act
 * on. `fromAwsError` maps SDK errors (by their `name`) onto them; anything unknown keeps the AWS
 * message behind an `AWS_ERROR` code. What kind of failure it is comes from common/aws-errors.ts.
 */
import { awsFailure, isCredentialFailure } from '../common/aws-errors.ts';

export type ComputeErrorCode =
  | 'UNKNOWN_INSTANCE'
  | 'WRONG_STATE'
  | 'CREDENTIALS'
  | 'ACCESS_DENIED'
  | 'UNSUPPORTED_INSTANCE_TYPE'
  | 'USER_DATA_TOO_LARGE'
  | 'UNKNOWN_PRESET'
  | 'CONFIRMATION_REQUIRED'
  | 'AMI_NOT_FOUND'
  | 'UNKNOWN_IMAGE'
  | 'INVALID_INPUT'
  | 'THROTTLED'
  | 'AWS_ERROR';

export class ComputeError extends Error {
  readonly code: ComputeErrorCode;
  constructor(code: ComputeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ComputeError';
    this.code = code;
  }
}

/** Turns an AWS SDK error into a ComputeError; `subject` names what was being done ("stop i-123"). */
export function fromAwsError(e: unknown, subject: string): ComputeError {
  if (e instanceof ComputeError) return e;
  const name = (e as { name?: string })?.name ?? 'Error';
  const message = ((e as { message?: string })?.message ?? String(e)).split('\n')[0];
  if (name.startsWith('InvalidInstanceID')) {
    return new ComputeError('UNKNOWN_INSTANCE', `${subject}: no such instance in this account and region (${message})`, { cause: e });
  }
  if (name === 'IncorrectInstanceState') {
    return new ComputeError('WRONG_STATE', `${subject}: the instance is in the wrong state for this (${message})`, { cause: e });
  }
  const kind = awsFailure(e);
  if (isCredentialFailure(kind)) {
    return new ComputeError(
      'CREDENTIALS',
      `${subject}: AWS credentials are missing, invalid or expired (${name}); sign in again (aws sso login) or fix the profile`,
      { cause: e },
    );
  }
  if (kind === 'access-denied') {
    return new ComputeError('ACCESS_DENIED', `${subject}: your AWS identity is not allowed to do this (${name})`, { cause: e });
  }
  if (kind === 'throttled') {
    return new ComputeError('THROTTLED', `${subject}: AWS is throttling requests; try again in a minute`, { cause: e });
  }
  if (name === 'Unsupported' || name === 'InvalidInstanceType' || (name === 'InvalidParameterValue' && /instance ?type/i.test(message))) {
    return new ComputeError('UNSUPPORTED_INSTANCE_TYPE', `${subject}: this instance type is not offered here (${message})`, { cause: e });
  }
  if (name.startsWith('InvalidAMIID')) {
    return new ComputeError('UNKNOWN_IMAGE', `${subject}: no such image (AMI) in this region (${message})`, { cause: e });
  }
  return new ComputeError('AWS_ERROR', `${subject}: ${name}: ${message}`, { cause: e });
}
