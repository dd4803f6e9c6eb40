/**
 * The one error type the TIFF reader throws. `code` says what kind of problem it is;
 * `message` is one human line that names the file when it is known.
 *
 * - `not-tiff`   the first bytes are not a TIFF/BigTIFF signature
 * - `truncated`  a structure the header points at lies (partly) beyond the end of the file
 * - `corrupt`    a structure is present but its values are impossible
 * - `incomplete` a writer has not finished the header yet (first IFD offset is 0)
 * - `io`         the file could not be opened or read
 */
export type TiffErrorCode = 'not-tiff' | 'truncated' | 'corrupt' | 'incomplete' | 'io';

export class TiffError extends Error {
  readonly code: TiffErrorCode;
  readonly path: string | undefined;

  constructor(code: TiffErrorCode, message: string, path?: string, options?: { cause?: unknown }) {
    super(path === undefined ? message : `${path}: ${message}`, options);
    this.name = 'TiffError';
    this.code = code;
    this.path = path;
  }

  /** The same error attributed to a file, for errors raised before the path was known. */
  withPath(path: string): TiffError {
    if (this.path !== undefined) return this;
    return new TiffError(this.code, this.message, path, { cause: this.cause });
  }
}
