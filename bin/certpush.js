#!/usr/bin/env node
// certpush runs its TypeScript sources directly (Node's type stripping, Node >= 23.6).
// Inside the project, npm scripts and npx put the pinned Node 24 first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 23 || (major === 23 && minor < 6)) {
  console.error(`certpush needs Node.js 24 (this is ${process.version}). Run it through npm (npx certpush, npm start) so the project's pinned Node 24 is used, or install Node 24.`);
  process.exit(1);
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
