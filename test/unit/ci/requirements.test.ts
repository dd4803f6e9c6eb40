import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { commandMissing, requiresIn, RequirementMissingError, underCi } from '../../support/requirements.ts';
import { sharedDataDir, sharedDataMissing } from '../../support/shared-data.ts';
import { versitygwMissing } from '../../support/versitygw.ts';
import { PROJECT_ROOT } from '../../support/cli.ts';

test('CI is on for CI=true or 1, off when unset, empty, 0 or false', () => {
  assert.equal(underCi({ CI: 'true' }), true);
  assert.equal(underCi({ CI: '1' }), true);
  for (const CI of [undefined, '', '0', 'false', 'FALSE']) assert.equal(underCi({ CI }), false, String(CI));
});

test('outside CI, what is missing becomes the skip reason; nothing missing runs the test', () => {
  assert.equal(requiresIn({}, [false, undefined, '']), false);
  assert.equal(requiresIn({}, ['moto_server not on PATH', false, 'aws CLI not on PATH']), 'moto_server not on PATH; aws CLI not on PATH');
});

test('under CI, what is missing throws an error naming every missing part; nothing missing runs the test', () => {
  assert.equal(requiresIn({ CI: 'true' }, [false, undefined]), false);
  assert.throws(
    () => requiresIn({ CI: 'true' }, ['versitygw not found at /nonexistent', false, 'Chromium not found at /x']),
    (e: unknown) =>
      e instanceof RequirementMissingError &&
      e.message === 'CI=true and what this test needs is missing: versitygw not found at /nonexistent; Chromium not found at /x' &&
      e.reasons.length === 2,
  );
});

test('probes name what is missing and where it was looked for', (t) => {
  const saved = { VERSITYGW_BIN: process.env.VERSITYGW_BIN, SCOPECLOUD_SHARED_DATA: process.env.SCOPECLOUD_SHARED_DATA };
  const empty = mkdtempSync(join(tmpdir(), 'scopecloud-empty-data-'));
  t.after(() => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    rmSync(empty, { recursive: true, force: true });
  });
  process.env.VERSITYGW_BIN = '/nonexistent/versitygw';
  assert.match(String(versitygwMissing()), /^versitygw not found at \/nonexistent\/versitygw /);
  process.env.SCOPECLOUD_SHARED_DATA = empty;
  assert.equal(sharedDataDir(), empty);
  assert.match(
    String(sharedDataMissing('neurofinder-crop/movie.tif')),
    new RegExp(`^shared data set absent: ${empty}/README.md, ${empty}/neurofinder-crop/movie.tif not found`),
  );
  writeFileSync(join(empty, 'README.md'), 'credits\n');
  assert.equal(sharedDataMissing(), false, 'a folder with its README is the data set');
  assert.equal(commandMissing('scopecloud-no-such-command', [], 'no such command'), 'no such command');
  assert.equal(commandMissing(process.execPath, ['--version'], 'node'), false);
});

test('the shared data set is the folder beside the project root by default', () => {
  assert.equal(sharedDataDir({}), join(PROJECT_ROOT, '..', 'shared', 'data'));
});

/** Runs a one-test file needing something missing under node --test and returns its exit code and output. */
function runNeedingMissing(env: NodeJS.ProcessEnv): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'scopecloud-requires-'));
  try {
    const file = join(dir, 'needs.test.ts');
    const module = pathToFileURL(join(PROJECT_ROOT, 'test', 'support', 'requirements.ts')).href;
    writeFileSync(
      file,
      [
        `import { test } from 'node:test';`,
        `import { requires } from ${JSON.stringify(module)};`,
        `test('needs a server', { skip: requires('frobnicator not on PATH') }, () => {});`,
        `test('needs nothing', () => {});`,
      ].join('\n'),
    );
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete childEnv.NODE_TEST_CONTEXT; // else the child thinks it runs inside this test and runs nothing
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8', env: childEnv });
    return { code: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('node --test: a missing requirement skips with its reason outside CI and fails the run naming it under CI', () => {
  const local = runNeedingMissing({ CI: '' });
  assert.equal(local.code, 0, local.out);
  assert.match(local.out, /^ok 1 - needs a server # SKIP frobnicator not on PATH$/m);
  const ci = runNeedingMissing({ CI: 'true' });
  assert.equal(ci.code, 1, ci.out);
  assert.match(ci.out, /RequirementMissingError: CI=true and what this test needs is missing: frobnicator not on PATH/);
  assert.match(ci.out, /^# fail 1$/m);
});

/** Every *.test.ts under test/, relative to the project root. */
function testFiles(dir = join(PROJECT_ROOT, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testFiles(path);
    return e.name.endsWith('.test.ts') ? [relative(PROJECT_ROOT, path)] : [];
  });
}

test('no test file decides a skip by itself: every skip option and skip constant comes from requires() or optional()', () => {
  const self = relative(PROJECT_ROOT, fileURLToPath(import.meta.url));
  const violations: string[] = [];
  for (const file of testFiles()) {
    if (file === self || file.endsWith('test-counts.test.ts')) continue; // both hold skips as data
    readFileSync(join(PROJECT_ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const bad =
          /\bconst skip\w* = (?!requires\(|optional\()/.test(line) ||
          /\bskip:(?!\s*(?:requires\(|optional\(|skip\w*\s*[,}]))/.test(line) ||
          /\b(?:t|it|test|describe)\.(?:skip|todo)\(|\btodo:/.test(line);
        if (bad) violations.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(violations, [], 'skip through requires() (test/support/requirements.ts)');
});
