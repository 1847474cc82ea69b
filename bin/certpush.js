#!/usr/bin/env node
// certpush runs its TypeScript sources directly (Node's type stripping, Node >= 23.6).
// Inside the project, npm scripts and npx put the pinned Node 24 first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 23 || (major === 23 && minor < 6)) {
  console.error(`certpush needs Node.js 24 (this is ${process.version}). Run it through npm (npx certpush, npm start) so the project's pinned Node 24 is used, or install Node 24.`);
  process.exit(1);
}
// The long-running commands run with V8 heap settings for a small service (README: Design,
// "A service's memory"). V8 sizes its heap when the process starts, so when a setting is
// missing the process replaces itself (execve: the same pid, no parent left behind) with it
// set. Flags the caller gave win: nothing is re-set.
//   --max-semi-space-size=8   V8 grows the young generation to 2 × 64 MB at its defaults under
//                             sustained allocation; at 8 MB a process peaks ~20 MB lower than at
//                             16 for ~1.5% more CPU (4 would cost throughput under load)
//   --heap-growing-percent=30 the old generation is collected at 1.3× its live size, not ~3×
const SERVICE_COMMANDS = new Set(['serve', 'demo']);
if (SERVICE_COMMANDS.has(process.argv[2]) && typeof process.execve === 'function') {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const has = (flag) => given.some((f) => f.replaceAll('_', '-') === flag || f.replaceAll('_', '-').startsWith(`${flag}=`));
  const flags = [['--max-semi-space-size', '8'], ['--heap-growing-percent', '30']].filter(([flag]) => !has(flag)).map(([flag, value]) => `${flag}=${value}`);
  if (flags.length > 0) process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, ...process.argv.slice(1)], process.env);
}

// Keep the stripped TypeScript and V8's compiled code between runs (in the OS temp directory;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off): every start after the first skips the type
// stripper, which is faster and saves ~25 MB of memory that the stripper would keep.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
// In this repository the sources run directly; an installed package (which Node will not strip
// types in, under node_modules) runs the JavaScript that `npm pack` built into dist/.
const { existsSync } = await import('node:fs');
const fromSources = existsSync(new URL('../src/cli/main.ts', import.meta.url));
const { main } = await import(fromSources ? '../src/cli/main.ts' : '../dist/cli/main.js');
process.exitCode = await main(process.argv);
