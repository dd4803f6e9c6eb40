/**
 * The line the Results viewer shows when a curation change is refused: `prefix` ("Not saved",
 * "Nothing undone") and the reason. A conflict (CURATION_CONFLICT: other writers kept changing
 * curation.json, nothing was recorded) is said in the user's terms; other reasons keep the
 * services' message. The code and field are kept.
 */
import { ApiError, hasCode } from '../../preload/errors.ts';

export const CONFLICT_REASON = 'someone else curated these results at the same time; try again';

export function curationRefusal(prefix: string, e: ApiError): ApiError {
  return new ApiError(e.code, `${prefix}: ${hasCode(e, 'CURATION_CONFLICT') ? CONFLICT_REASON : e.message}`, e.field);
}
