#!/usr/bin/env node
/**
 * Counts what the test runners did and fails on any skip nobody expected, so a green CI run means
 * every test ran. Plain JS so that it runs on whatever Node runs npm.
 *
 *   node scripts/test-counts.mjs --node build/node-tests.tap --cargo build/npm-test.log --expected .ci/expected-skips
 *
 * --node: the TAP that `npm test` writes (node --test's second reporter); --cargo: a log holding
 * cargo test's output (its "test result:" and "... ignored" lines); --expected: one expected skip
 * a line, `<runner> <test name> -- <reason>` (runner `node` or `cargo`; `#` starts a comment). Prints one line per runner,
 * "<runner>: tests: N passed, N failed, N skipped", then each problem; exits 1 when a runner left
 * no results, any test failed, a skip is not listed, or a listed skip did not happen.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** node --test's TAP: pass/fail/cancelled from its summary; every `# SKIP` / `# TODO` (tests and suites) as a skip. */
export function parseNodeTap(tap) {
  const summary = (key) => {
    const m = new RegExp(`^# ${key} (\\d+)$`, 'm').exec(tap);
    return m ? Number(m[1]) : undefined;
  };
  const passed = summary('pass');
  const failed = summary('fail');
  if (passed === undefined || failed === undefined) return { ran: false, passed: 0, failed: 0, skips: [] };
  const skips = [];
  for (const m of tap.matchAll(/^\s*(?:not )?ok \d+ - (.*?) # (SKIP|TODO)(?: (.*))?$/gm)) {
    skips.push({ name: m[1], reason: m[2] === 'TODO' ? `todo: ${m[3] ?? ''}`.trim() : (m[3] ?? '') });
  }
  return { ran: true, passed, failed: failed + (summary('cancelled') ?? 0), skips };
}

/** cargo test's output: the sum of its "test result:" lines; each "test <name> ... ignored" as a skip (unnamed ones as one). */
export function parseCargo(log) {
  let ran = false;
  let passed = 0;
  let failed = 0;
  let ignored = 0;
  for (const m of log.matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored;/gm)) {
    ran = true;
    passed += Number(m[1]);
    failed += Number(m[2]);
    ignored += Number(m[3]);
  }
  const skips = [...log.matchAll(/^test (\S+) \.\.\. ignored(?:, (.*))?$/gm)].map((m) => ({ name: m[1], reason: m[2] ?? '#[ignore]' }));
  // `cargo test -q` prints an ignored test as "i", without its name
  const named = skips.length;
  for (let k = 1; k <= ignored - named; k++)
    skips.push({ name: `ignored test not named in the log (${k} of ${ignored - named})`, reason: 'run cargo test without -q' });
  return { ran, passed, failed, skips };
}

export const RUNNERS = ['node', 'cargo'];

/** The expected-skips file: `<runner> <test name> -- <reason>` a line; a line without a reason is an error. */
export function parseExpected(text) {
  const out = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(\S+)\s+(.+?)\s+--\s+(\S.*)$/.exec(line);
    if (!m) throw new Error(`expected skips, line ${i + 1}: "${line}" is not "<runner> <test name> -- <reason>"`);
    if (!RUNNERS.includes(m[1])) throw new Error(`expected skips, line ${i + 1}: unknown runner "${m[1]}" (${RUNNERS.join(', ')})`);
    out.push({ runner: m[1], name: m[2], reason: m[3] });
  });
  return out;
}

/**
 * The report for `results` (runner name to parsed results, or undefined when its output was not
 * found) against `expected`: one count line per runner, then each problem; ok when there is none.
 */
export function report(results, expected) {
  const lines = [];
  const problems = [];
  for (const [runner, r] of Object.entries(results)) {
    if (!r || !r.ran) {
      lines.push(`${runner}: no results (the runner did not run or did not finish)`);
      problems.push(`${runner}: no results`);
      continue;
    }
    const listed = expected.filter((e) => e.runner === runner);
    const unexpected = r.skips.filter((s) => !listed.some((e) => e.name === s.name));
    const expectedNote = r.skips.length > 0 ? ` (${r.skips.length - unexpected.length} expected)` : '';
    lines.push(`${runner}: tests: ${r.passed} passed, ${r.failed} failed, ${r.skips.length} skipped${expectedNote}`);
    if (r.failed > 0) problems.push(`${runner}: ${r.failed} failed`);
    for (const s of unexpected) problems.push(`${runner}: unexpected skip: ${s.name}${s.reason ? ` (${s.reason})` : ''}`);
    for (const e of listed) {
      if (!r.skips.some((s) => s.name === e.name)) problems.push(`${runner}: expected skip did not happen: ${e.name} (remove it from the expected skips)`);
    }
  }
  return { ok: problems.length === 0, lines: [...lines, ...problems.map((p) => `FAIL ${p}`)] };
}

function readOrUndefined(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function main(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!/^--(node|cargo|expected)$/.test(argv[i]) || argv[i + 1] === undefined) {
      console.error('usage: test-counts.mjs --node <tap file> --cargo <log file> [--expected <file>]');
      return 2;
    }
    args[argv[i].slice(2)] = argv[i + 1];
  }
  const results = {};
  if (args.node) {
    const tap = readOrUndefined(args.node);
    results.node = tap === undefined ? undefined : parseNodeTap(tap);
  }
  if (args.cargo) {
    const log = readOrUndefined(args.cargo);
    results.cargo = log === undefined ? undefined : parseCargo(log);
  }
  const expectedText = args.expected ? readOrUndefined(args.expected) : '';
  if (expectedText === undefined) {
    console.error(`test-counts: cannot read ${args.expected}`);
    return 2;
  }
  const { ok, lines } = report(results, parseExpected(expectedText));
  for (const line of lines) console.log(line);
  return ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
