/**
 * One classification of AWS failures for every service that talks to AWS (uploads, instances,
 * budgets, the settings check), so "your credentials expired" means the same thing everywhere.
 * Each module still words its own message and decides what to do (retry, stop, ask); this only
 * says what kind of failure it is, from the SDK error's name or code, or a system error code.
 */

export type AwsFailure =
  /** No credentials could be loaded at all (no profile, no SSO session, no keys). */
  | 'credentials-missing'
  /** Credentials were found but have expired (a session token, an SSO login). */
  | 'credentials-expired'
  /** Credentials were found and rejected (wrong key or secret, unknown token, bad signature). */
  | 'credentials-rejected'
  /** The identity is known but not allowed to do this. */
  | 'access-denied'
  /** AWS asks to slow down. */
  | 'throttled'
  /** The endpoint could not be reached or the connection broke. */
  | 'network'
  | 'other';

const BY_NAME: ReadonlyMap<string, AwsFailure> = new Map([
  ...['CredentialsProviderError', 'TokenProviderError', 'MissingAuthenticationToken'].map((n) => [n, 'credentials-missing'] as const),
  ...['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'].map((n) => [n, 'credentials-expired'] as const),
  ...[
    'AuthFailure',
    'InvalidClientTokenId',
    'UnrecognizedClientException',
    'SignatureDoesNotMatch',
    'InvalidSignatureException',
    'InvalidAccessKeyId',
    'InvalidToken',
    'XAdminUserNotFound',
  ].map((n) => [n, 'credentials-rejected'] as const),
  ...['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException', 'AllAccessDisabled', 'AccountProblem'].map((n) => [n, 'access-denied'] as const),
  ...['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'SlowDown'].map((n) => [n, 'throttled'] as const),
  ...['TimeoutError', 'RequestTimeoutException', 'NetworkingError'].map((n) => [n, 'network'] as const),
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'EHOSTDOWN',
]);

/** The kind of failure an error name or code stands for ('other' when it is none of these). */
export function awsFailureOfName(name: string | undefined): AwsFailure {
  if (!name) return 'other';
  return BY_NAME.get(name) ?? (NETWORK_CODES.has(name) ? 'network' : 'other');
}

/** The kind of failure of anything thrown by the SDK or node:http. */
export function awsFailure(e: unknown): AwsFailure {
  const err = (typeof e === 'object' && e !== null ? e : {}) as { name?: string; Code?: string; code?: unknown };
  for (const name of [err.Code, err.name, typeof err.code === 'string' ? err.code : undefined]) {
    const kind = awsFailureOfName(name);
    if (kind !== 'other') return kind;
  }
  return 'other';
}

/** Missing, expired or rejected credentials: the user has to sign in again or fix the profile. */
export function isCredentialFailure(kind: AwsFailure): boolean {
  return kind === 'credentials-missing' || kind === 'credentials-expired' || kind === 'credentials-rejected';
}
