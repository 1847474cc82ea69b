// `npm run bench [-- NAME …]`: run every bench/*.bench.ts (or the named ones) in turn.
// Each entry measures ours and the peer side by side in one run and prints a table.
import fs from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const entries = fs.readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace('.bench.ts', '')));
if (entries.length === 0) {
  console.error(`No benchmark matches ${wanted.join(', ')}. Available: ${fs.readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', '')).join(', ')}`);
  process.exit(1);
}
console.log(`# certpush benchmarks — ${new Date().toISOString()}, Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs`);
for (const entry of entries) {
  const mod = await import(path.join(dir, entry)) as { run: () => Promise<void> };
  await mod.run();
}
