// `npm pack` / `npm publish` (prepack): build dist/, the JavaScript the published package runs.
//
// Why a build at all, when certpush runs its TypeScript directly: Node refuses to strip types
// from files under node_modules (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING), so an installed
// certpush could neither be imported nor run its CLI from the sources. In this repository
// everything still runs from src/; only the package carries dist/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });

const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const build = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('build-package: tsc failed; nothing to pack.');
  process.exit(1);
}

// Declarations keep the sources' `.ts` import specifiers; the files next to them are `.d.ts`
// with `.js` siblings, so point them at `.js` as the JavaScript does.
for (const file of fs.readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts')) continue;
  const full = path.join(dist, file);
  const text = fs.readFileSync(full, 'utf8');
  const fixed = text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2');
  if (fixed !== text) fs.writeFileSync(full, fixed);
}

// The web console is browser code served from <server>/../console, TypeScript stripped per
// request: it goes into the package as it is.
fs.cpSync(path.join(root, 'src', 'console'), path.join(dist, 'console'), { recursive: true });
// Apple's CA certificates are data that src/mdm/apple-cas.ts reads next to itself.
fs.cpSync(path.join(root, 'src', 'mdm', 'apple-cas'), path.join(dist, 'mdm', 'apple-cas'), { recursive: true });
console.log(`build-package: wrote ${path.relative(root, dist)}/`);
