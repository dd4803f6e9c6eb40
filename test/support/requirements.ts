/**
 * What a test needs from the machine (a server, a browser, a tool, the shared data set), decided in
 * one place: outside CI a missing requirement skips the test with its reason; under CI it fails the
 * test file, naming what is missing, so a green CI run means every test ran.
 *
 * Probes (`motoMissing()`, `chromiumMissing()`, `sharedDataMissing()`, ...) return the reason a
 * requirement is missing (what, where it was looked for, how to get it) or `false`. Test files pass
 * them to `requires()` and use its result as node:test's `skip` option:
 *
 *   const skip = requires(motoMissing(), versitygwMissing());
 *   describe('...', { skip }, () => { ... });
 */
import { spawnSync } from 'node:child_process';

/** The reason a requirement is missing, or `false` when it is present. */
export type Missing = string | false | undefined;

export class RequirementMissingError extends Error {
  readonly code = 'REQUIREMENT_MISSING';
  readonly reasons: readonly string[];
  constructor(reasons: readonly string[]) {
    super(`CI=true and what this test needs is missing: ${reasons.join('; ')}`);
    this.name = 'RequirementMissingError';
    this.reasons = reasons;
  }
}

/** CI is on when `CI` is set to anything but '', '0' or 'false' (GitHub, GitLab and .ci/run set `CI=true`). */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = (env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * node:test's `skip` value for a test needing all of `missing`: `false` when nothing is missing,
 * else the reasons joined (a skip) outside CI; under CI it throws `RequirementMissingError` instead,
 * which fails the test file with the reasons in its output.
 */
export function requires(...missing: readonly Missing[]): string | false {
  return requiresIn(process.env, missing);
}

/**
 * node:test's `skip` value for a test needing something CI deliberately does not install (a tool
 * too heavy for it): `false` when nothing is missing, else the reasons joined, under CI too. Such a
 * skip passes CI only when `.ci/expected-skips` lists the test (scripts/test-counts.mjs), so it
 * cannot hide a test that should have run.
 */
export function optional(...missing: readonly Missing[]): string | false {
  const reasons = missing.filter((m): m is string => typeof m === 'string' && m !== '');
  return reasons.length === 0 ? false : reasons.join('; ');
}

/** `requires()` with the environment passed in. */
export function requiresIn(env: NodeJS.ProcessEnv, missing: readonly Missing[]): string | false {
  const reasons = missing.filter((m): m is string => typeof m === 'string' && m !== '');
  if (reasons.length === 0) return false;
  if (underCi(env)) throw new RequirementMissingError(reasons);
  return reasons.join('; ');
}

/** A command that must run and exit 0 (`command args`), else `reason`. */
export function commandMissing(command: string, args: readonly string[], reason: string): Missing {
  const probe = spawnSync(command, args, { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0 ? false : reason;
}

/** The aws CLI, which the instance simulator runs the EC2 bootstrap script with. */
export function awsCliMissing(): Missing {
  return commandMissing('aws', ['--version'], 'aws CLI not on PATH (pip install awscli; .ci/run installs it)');
}

/** A Python module importable by `python3` (h5py, pynwb: independent readers of the NWB export). */
export function pythonModuleMissing(module: string): Missing {
  return commandMissing('python3', ['-c', `import ${module}`], `python3 cannot import ${module} (pip install ${module}; .ci/run installs it)`);
}
