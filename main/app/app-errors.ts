/** Errors the app adapter raises itself; `field` names the UI settings field at fault, if any. */

export type AppErrorCode =
  | 'NOT_CONFIGURED'
  | 'INVALID_SETTINGS'
  | 'INVALID_FOLDER'
  | 'INVALID_INPUT'
  | 'UNKNOWN_FILE'
  | 'UNKNOWN_SESSION'
  | 'NO_RESULTS'
  | 'UNKNOWN_IMAGE'
  | 'UNKNOWN_ROI'
  | 'CONSENT_REQUIRED'
  /** curation.json kept changing under a curation (other writers); nothing was recorded. */
  | 'CURATION_CONFLICT'
  /** An analysis's results are in a cold storage class (GLACIER, DEEP_ARCHIVE): restore them first. */
  | 'RESULTS_ARCHIVED'
  /** AWS refused or could not be reached; the message says what it answered. */
  | 'AWS_ERROR';

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly field: string | null;
  constructor(code: AppErrorCode, message: string, field: string | null = null) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.field = field;
  }
}

/** What AWS-only features say in local-archive mode. */
export function notConfigured(what: string): AppError {
  return new AppError('NOT_CONFIGURED', `AWS is not configured (needed for ${what}): switch the destination to Amazon S3 in Settings.`);
}
