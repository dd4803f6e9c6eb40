/**
 * Durability of a rename: after writing a temporary file, fsyncing it and renaming it into place,
 * the directory holding it is fsynced too, so the new name survives a power cut.
 */
import { closeSync, constants, fsyncSync, openSync } from 'node:fs';

/** fsyncs `dir`; a platform that cannot (Windows) is ignored: the rename is still atomic there. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // directories cannot be fsynced on every platform (Windows); the rename is still atomic there
  }
}
