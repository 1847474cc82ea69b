// The package as users install it: `npm pack`, unpacked under node_modules (where Node will not
// strip TypeScript), then imported, typechecked against and run as a CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

const repo = path.resolve(import.meta.dirname, '..', '..');
let work: string;
let app: string;

function run(command: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the packed package, installed under node_modules', { timeout: 180_000 }, () => {
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-package-'));
    const pack = run('npm', ['pack', '--json', '--pack-destination', work], repo);
    assert.equal(pack.status, 0, `npm pack failed: ${pack.stderr.slice(-2000)}`);
    const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string }>;
    const filename = packed!.filename;
    app = path.join(work, 'app');
    fs.mkdirSync(path.join(app, 'node_modules'), { recursive: true });
    assert.equal(run('tar', ['-xzf', path.join(work, filename), '-C', work], work).status, 0);
    fs.renameSync(path.join(work, 'package'), path.join(app, 'node_modules', 'certpush'));
    // Its dependencies, as npm would have installed them next to it.
    fs.symlinkSync(path.join(repo, 'node_modules'), path.join(app, 'node_modules', 'certpush', 'node_modules'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('ships JavaScript and declarations, the console, and no sources or tests', () => {
    const root = path.join(app, 'node_modules', 'certpush');
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/console/index.html', 'dist/console/app.ts', 'dist/mdm/apple-cas/AppleWWDRCAG3.pem', 'bin/certpush.js']) {
      assert.ok(fs.existsSync(path.join(root, file)), `${file} is in the package`);
    }
    assert.equal(fs.existsSync(path.join(root, 'src')), false);
    assert.equal(fs.existsSync(path.join(root, 'test')), false);
  });

  it('imports by its name', () => {
    const probe = run(process.execPath, ['--input-type=module', '-e', "const m = await import('certpush'); console.log(typeof m.ApnsClient, typeof m.signPushCertRequest, typeof m.startApnsSimulator)"], app);
    assert.equal(probe.status, 0, probe.stderr);
    assert.equal(probe.stdout.trim(), 'function function function');
  });

  it('reads Apple\'s built-in CA certificates from the installed package', () => {
    const probe = run(process.execPath, ['--input-type=module', '-e', "const m = await import('certpush'); console.log(m.appleCas().length, m.appleRoots()[0].commonName)"], app);
    assert.equal(probe.status, 0, probe.stderr);
    assert.equal(probe.stdout.trim(), '10 Apple Root CA');
  });

  it('typechecks a TypeScript consumer against its declarations', () => {
    fs.writeFileSync(path.join(app, 'consumer.ts'), [
      "import { ApnsClient, type apns } from 'certpush';",
      'export function first(client: ApnsClient): Promise<apns.Outcome> {',
      "  return client.sendMdm('a'.repeat(64), 'magic');",
      '}',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2024', strict: true, noEmit: true, types: ['node'], typeRoots: [path.join(repo, 'node_modules', '@types')] },
      files: ['consumer.ts'],
    }));
    const tsc = run(process.execPath, [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app);
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  it('runs its CLI', () => {
    const bin = path.join(app, 'node_modules', 'certpush', 'bin', 'certpush.js');
    const pki = run(process.execPath, [bin, 'simulate', 'pki', '--out', 'pki'], app);
    assert.equal(pki.status, 0, pki.stderr);
    assert.ok(fs.existsSync(path.join(app, 'pki', 'vendor.pem')));
    const inspect = run(process.execPath, [bin, 'cert', 'inspect', path.join(app, 'pki', 'vendor.pem'), '--json'], app);
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.match(inspect.stdout, /MDM Vendor/);
  });
});
