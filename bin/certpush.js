#!/usr/bin/env node
// certpush runs its TypeScript sources directly (Node's type stripping, Node >= 23.6).
// Inside the project, npm scripts and npx put the pinned Node 24 first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 23 || (major === 23 && minor < 6)) {
  console.error(`certpush needs Node.js 24 (this is ${process.version}). Run it through npm (npx certpush, npm start) so the project's pinned Node 24 is used, or install Node 24.`);
  process.exit(1);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
