/**
 * Errors as they cross the contract. Services throw errors carrying a string `code` (and
 * optionally the settings `field` at fault); both transports carry `{code, message, field}`
 * and the renderer receives an ApiError with the same fields.
 */
import { nullable, object, str, type Infer } from './schema.ts';

export const WireError = object({ code: str({ max: 128 }), message: str({ max: 10_000 }), field: nullable(str({ max: 128 })) });
export type WireError = Infer<typeof WireError>;

/**
 * The error codes the renderer branches on (every other code is shown as its message). The
 * services' own code unions must contain each of them (main/app/contract.ts checks it at compile
 * time), so a renamed code fails the build instead of silently changing what the UI does.
 */
export type BranchCode =
  /** An AWS-only feature in local-archive mode: the view points to Settings. */
  | 'NOT_CONFIGURED'
  /** EC2 analyses need an IAM instance profile the user has not agreed to create: the UI asks. */
  | 'CONSENT_REQUIRED'
  /** The launch would take the month past the budget: the UI offers the recorded override. */
  | 'BUDGET_EXCEEDED'
  /** No spending limit is known, so launches are refused: the UI points to the Settings field (no override). */
  | 'NO_SPEND_LIMIT'
  /** A curation lost the race to other writers of curation.json too often; nothing was recorded: the UI says try again. */
  | 'CURATION_CONFLICT'
  /** Opening results whose files are in cold storage: the UI offers their restore (tier, cost, wait). */
  | 'RESULTS_ARCHIVED';

/** Whether `e` is an error the contract delivered with this code. */
export function hasCode(e: unknown, code: BranchCode): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

export class ApiError extends Error {
  readonly code: string;
  readonly field: string | null;
  constructor(code: string, message: string, field: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
  }
}

/** Any thrown value → the wire form. Unknown errors keep their message, code 'internal'. */
export function toWireError(err: unknown): WireError {
  if (err instanceof Error) {
    const rec = err as Error & { code?: unknown; field?: unknown };
    const code = typeof rec.code === 'string' && rec.code ? rec.code : 'internal';
    const field = typeof rec.field === 'string' ? rec.field : null;
    return { code, message: firstLine(err.message) || code, field };
  }
  return { code: 'internal', message: firstLine(String(err)), field: null };
}

export function fromWireError(value: unknown): ApiError {
  try {
    const w = WireError.check(value);
    return new ApiError(w.code, w.message, w.field);
  } catch {
    return new ApiError('bad-response', 'The app sent a malformed error.');
  }
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0].slice(0, 2000);
}
