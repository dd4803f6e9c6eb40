#!/usr/bin/env node
// Entry point of the `scopecloud` CLI. Runs the TypeScript sources directly (Node >= 22.18
// strips types); the packaged app ships the compiled build/ instead.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`scopecloud: needs Node.js >= 22.18 (this is ${process.version}); run it through npm scripts or npx, which use the bundled node@22\n`);
  process.exit(2);
}
// Type stripping announces itself as experimental on every run; keep other warnings.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') process.stderr.write(`scopecloud: warning: ${w.message}\n`);
});
// `scopecloud status | head` closes the pipe early; that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
