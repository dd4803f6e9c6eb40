/** Runs one `scopecloud` command in this process against a fresh service container for `env`. */
import { createServiceContainer } from '../../main/services.ts';
import type { CliCommand, CliIo } from '../../main/cli/command.ts';

/** Output lines joined; a CliError the command throws rejects (the container is disposed either way). */
export async function runCommand(cmd: CliCommand, argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), stopSignal: new AbortController().signal };
  const holder: { c?: ReturnType<typeof createServiceContainer> } = {};
  try {
    const code = await cmd.run(argv, io, () => (holder.c ??= createServiceContainer({ env })));
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    if (holder.c) await (await holder.c).dispose();
  }
}
