/**
 * A stand-in for `scopecloud-worker` used ONLY to inject failures the real worker cannot be made
 * to show on demand (a crash mid-run, a hang). Happy-path tests use the real binary.
 *
 * `writeFakeWorker(dir, mode)` writes an executable POSIX sh script and returns its path:
 *   crash  prints two progress lines, a panic line on stderr, exits 101
 *   hang   prints one progress line, then sleeps for an hour (to be cancelled or timed out)
 *   slow   prints progress for `seconds` (default 600), then writes a tiny result like `ok`
 *   ok     writes summary.json, rois.json and an empty F.npy into --out and exits 0 (unit tests only)
 * Every mode answers `crc32c <file>...` as the real worker does (crc32c-cli.ts, run by this Node).
 * Each mode has its own file contents, so its sha256 differs from the real worker's.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CRC32C_CLI = fileURLToPath(new URL('./crc32c-cli.ts', import.meta.url));

export type FakeWorkerMode = 'crash' | 'hang' | 'slow' | 'ok';

const PARSE_OUT = `OUT=
while [ $# -gt 0 ]; do
  case "$1" in --out) OUT=$2; shift 2;; *) shift;; esac
done
`;

const WRITE_RESULT = `mkdir -p "$OUT/projections"
printf '{"schema":1,"fake":true}\\n' > "$OUT/summary.json"
printf '[{"id":0,"plane":0,"centroid":[1,2,0]}]\\n' > "$OUT/rois.json"
printf 'png' > "$OUT/projections/mean.png"
`;

function script(mode: FakeWorkerMode, seconds: number): string {
  const body: Record<FakeWorkerMode, string> = {
    crash: `echo '{"step":"read","done":1,"total":1}'
echo '{"step":"register","done":10,"total":100}'
echo "fake worker: reading frames" >&2
echo "thread 'main' panicked: fake worker crash for tests" >&2
exit 101
`,
    hang: `echo '{"step":"register","done":1,"total":100}'
trap 'exit 143' TERM
sleep 3600 & wait $!
`,
    slow: `i=0
trap 'exit 143' TERM
while [ $i -lt ${seconds} ]; do echo "{\\"step\\":\\"register\\",\\"done\\":$i,\\"total\\":${seconds}}"; sleep 1 & wait $!; i=$((i+1)); done
${WRITE_RESULT}`,
    ok: `echo '{"step":"register","done":50,"total":100}'
echo '{"step":"cluster","done":1,"total":1}'
${WRITE_RESULT}`,
  };
  return `#!/bin/sh\n# scopecloud fake worker (${mode}) for failure-injection tests\n[ "$1" = "--version" ] && { echo "scopecloud-worker 0.0.0-fake-${mode}"; exit 0; }\n[ "$1" = "crc32c" ] && { shift; exec '${process.execPath}' '${CRC32C_CLI}' "$@"; }\n${PARSE_OUT}${body[mode]}`;
}

export async function writeFakeWorker(dir: string, mode: FakeWorkerMode, seconds = 600): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `scopecloud-worker-fake-${mode}`);
  await writeFile(path, script(mode, seconds));
  await chmod(path, 0o755);
  return path;
}
