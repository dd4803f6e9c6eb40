/** Typed job errors: a stable `code` and a one-line message naming the job or the object. */

export type JobErrorCode =
  | 'JOB_NOT_FOUND'
  | 'JOB_INVALID'
  | 'JOB_FINISHED'
  | 'JOB_NOT_FAILED'
  | 'WORKER_NOT_FOUND'
  | 'NO_INPUT'
  | 'EC2_NOT_CONFIGURED'
  | 'LAUNCH_FAILED'
  | 'RESULTS_NOT_READY'
  | 'CHECKSUM_MISMATCH';

export class JobError extends Error {
  readonly code: JobErrorCode;
  constructor(code: JobErrorCode, message: string) {
    super(message);
    this.name = 'JobError';
    this.code = code;
  }
}
