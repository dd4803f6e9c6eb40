import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCargo, parseExpected, parseNodeTap, report } from '../../../scripts/test-counts.mjs';
import { PROJECT_ROOT } from '../../support/cli.ts';

/** node --test's TAP (node 22) for a skipped suite, a skipped test, a todo, a passing suite and a file that failed to load. */
const TAP = `TAP version 13
# Subtest: guardrails against moto
ok 1 - guardrails against moto # SKIP moto_server not on PATH
  ---
  type: 'suite'
  ...
# Subtest: t1
ok 2 - t1
# Subtest: t2
ok 3 - t2 # SKIP Chromium not found at /x
# Subtest: t3
ok 4 - t3 # TODO later
# Subtest: s2
    # Subtest: inner ok
    ok 1 - inner ok
    1..1
ok 5 - s2
# Subtest: b.test.ts
not ok 2 - b.test.ts
  ---
  error: 'test failed'
  ...
1..6
# tests 6
# suites 2
# pass 3
# fail 1
# cancelled 1
# skipped 1
# todo 1
# duration_ms 550.5
`;

/** cargo test's output for two test binaries and doc tests. */
const CARGO = `     Running tests/neurofinder.rs (target/debug/deps/neurofinder-1)

running 3 tests
test neurofinder_dump_detection ... ignored
test neurofinder_sweep ... ignored, parameter sweep for tuning by hand
test neurofinder_crop_f1_beats_suite2p ... ok

test result: ok. 1 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 3.10s

     Running tests/reader_data.rs (target/debug/deps/reader_data-2)

running 8 tests
test result: FAILED. 7 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.52s

   Doc-tests worker_core

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
`;

test('node TAP: passed and failed (cancelled counts as failed) from the summary; skipped suites, tests and todos by name', () => {
  const r = parseNodeTap(TAP);
  assert.deepEqual({ ran: r.ran, passed: r.passed, failed: r.failed }, { ran: true, passed: 3, failed: 2 });
  assert.deepEqual(r.skips, [
    { name: 'guardrails against moto', reason: 'moto_server not on PATH' },
    { name: 't2', reason: 'Chromium not found at /x' },
    { name: 't3', reason: 'todo: later' },
  ]);
  assert.equal(parseNodeTap('TAP version 13\nok 1 - a\n').ran, false, 'no summary: the run did not finish');
});

test('cargo: counts summed over every test result line; ignored tests by name', () => {
  const r = parseCargo(CARGO);
  assert.deepEqual({ ran: r.ran, passed: r.passed, failed: r.failed }, { ran: true, passed: 8, failed: 1 });
  assert.deepEqual(r.skips, [
    { name: 'neurofinder_dump_detection', reason: '#[ignore]' },
    { name: 'neurofinder_sweep', reason: 'parameter sweep for tuning by hand' },
  ]);
  assert.equal(parseCargo('error[E0425]: cannot find value\n').ran, false);
  const quiet = parseCargo('running 3 tests\nii.\ntest result: ok. 1 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.1s\n');
  assert.deepEqual(
    quiet.skips.map((x) => x.name),
    ['ignored test not named in the log (1 of 2)', 'ignored test not named in the log (2 of 2)'],
  );
});

test('expected skips: runner, name and a required reason per line; comments and blank lines ignored', () => {
  assert.deepEqual(parseExpected('# header\n\ncargo neurofinder_sweep -- tuning aid, prints only\nnode a test name -- why\n'), [
    { runner: 'cargo', name: 'neurofinder_sweep', reason: 'tuning aid, prints only' },
    { runner: 'node', name: 'a test name', reason: 'why' },
  ]);
  assert.throws(() => parseExpected('cargo neurofinder_sweep\n'), /line 1: "cargo neurofinder_sweep" is not "<runner> <test name> -- <reason>"/);
  assert.throws(() => parseExpected('# x\npytest test_a -- why\n'), /line 2: unknown runner "pytest" \(node, cargo\)/);
});

test('report: one count line per runner; fails on failures, unexpected skips, stale expectations and missing results', () => {
  const cargo = parseCargo(CARGO);
  const clean = { ran: true, passed: 5, failed: 0, skips: [{ name: 'neurofinder_sweep', reason: 'r' }] };
  const ok = report({ cargo: clean }, parseExpected('cargo neurofinder_sweep -- tuning aid'));
  assert.deepEqual(ok, { ok: true, lines: ['cargo: tests: 5 passed, 0 failed, 1 skipped (1 expected)'] });

  const bad = report({ node: parseNodeTap(TAP), cargo, other: undefined }, parseExpected('cargo neurofinder_sweep -- tuning aid\ncargo gone -- was slow'));
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.lines, [
    'node: tests: 3 passed, 2 failed, 3 skipped (0 expected)',
    'cargo: tests: 8 passed, 1 failed, 2 skipped (1 expected)',
    'other: no results (the runner did not run or did not finish)',
    'FAIL node: 2 failed',
    'FAIL node: unexpected skip: guardrails against moto (moto_server not on PATH)',
    'FAIL node: unexpected skip: t2 (Chromium not found at /x)',
    'FAIL node: unexpected skip: t3 (todo: later)',
    'FAIL cargo: 1 failed',
    'FAIL cargo: unexpected skip: neurofinder_dump_detection (#[ignore])',
    'FAIL cargo: expected skip did not happen: gone (remove it from the expected skips)',
    'FAIL other: no results',
  ]);
});

test('the script prints the counts and exits 1 on an unexpected skip, 0 when every skip is expected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scopecloud-counts-'));
  try {
    const log = join(dir, 'cargo.log');
    writeFileSync(log, CARGO.replace('7 passed; 1 failed', '8 passed; 0 failed'));
    const expected = join(dir, 'expected');
    writeFileSync(expected, 'cargo neurofinder_sweep -- tuning aid\n');
    const run = () =>
      spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'test-counts.mjs'), '--cargo', log, '--expected', expected], { encoding: 'utf8' });
    const unexpected = run();
    assert.equal(unexpected.status, 1, unexpected.stderr);
    assert.equal(
      unexpected.stdout,
      'cargo: tests: 9 passed, 0 failed, 2 skipped (1 expected)\nFAIL cargo: unexpected skip: neurofinder_dump_detection (#[ignore])\n',
    );
    writeFileSync(expected, 'cargo neurofinder_sweep -- tuning aid\ncargo neurofinder_dump_detection -- debugging aid\n');
    const allExpected = run();
    assert.equal(allExpected.status, 0, allExpected.stdout);
    assert.equal(allExpected.stdout, 'cargo: tests: 9 passed, 0 failed, 2 skipped (2 expected)\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
