/**
 * The fake workers' `crc32c` subcommand: the same JSON line per file as the real worker's
 * (`{"path","crc32c","bytes"}`), computed with the app's own CRC32C. Exit 3 when a file cannot be read.
 */
import { crc32cOfFile } from '../../main/session/checksum.ts';

for (const path of process.argv.slice(2)) {
  try {
    const { crc32c, bytes } = await crc32cOfFile(path);
    process.stdout.write(`${JSON.stringify({ path, crc32c, bytes })}\n`);
  } catch (e) {
    process.stderr.write(`scopecloud-worker: input error: ${path}: ${(e as Error).message}\n`);
    process.exit(3);
  }
}
