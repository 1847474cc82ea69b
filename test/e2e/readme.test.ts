// README.md stays true because this runs it: every ```sh block, in order, in a scratch directory
// where `npx certpush` is this checkout, against the simulators — and each output the README
// shows must still be what the command prints. Conventions: test/fixtures/readme-blocks.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { atEnd, tempDir } from '../fixtures/pki.ts';
import { blockScript, firstUnmatched, readmeBlocks } from '../fixtures/readme-blocks.ts';
import { REPO, userProject } from '../fixtures/user-project.ts';

describe('README conventions', () => {
  const sample = [
    '# Title', '', '```sh', '# an explanation', 'npx certpush simulate apns --port 2197 &', 'echo one \\', '  two', '# one two', '# exit status 0', '',
    '# another explanation', 'false || true', '```', '', '<!-- readme-test: skip: needs Apple -->', '```sh', 'upload', '```', '```ts', 'const x = 1;', '```',
  ].join('\n');

  it('finds the sh blocks, their skip marks, commands, continuations and background servers', () => {
    const blocks = readmeBlocks(sample);
    assert.equal(blocks.length, 2);
    assert.equal(blocks[0]!.skip, false);
    assert.equal(blocks[1]!.skip, 'needs Apple');
    assert.deepEqual(blocks[0]!.commands.map((c) => [c.lines.length, c.background, c.port, c.shown]), [[1, true, 2197, []], [2, false, undefined, ['one two']], [1, false, undefined, []]]);
  });

  it('takes comments directly under a command as its shown output and comments after a blank line as prose', () => {
    const [block] = readmeBlocks(sample);
    assert.deepEqual(block!.commands[1]!.shown, ['one two']);
    assert.deepEqual(block!.commands[2]!.shown, []);
  });

  it('matches shown lines in order with … standing for anything', () => {
    assert.equal(firstUnmatched(['5f2c…e1  accepted  apns-id …', 'done'], 'x\n5f2c1234e1   accepted apns-id 8b7c\ndone\n'), undefined);
    assert.equal(firstUnmatched(['done', '5f2c…e1  accepted'], '5f2c1234e1 accepted\ndone\n'), '5f2c…e1  accepted');
    assert.equal(firstUnmatched(['valid (2 warnings)'], 'invalid'), 'valid (2 warnings)');
  });
});

describe('README.md, run as written', () => {
  const blocks = readmeBlocks(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8'));
  const project = userProject('certpush-readme-');
  const outDir = tempDir('certpush-readme-out-');
  const groups: number[] = [];
  atEnd(async () => {
    // Servers the README started with `&` (simulators, the demo, a signer): stop them all.
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      for (const group of groups) {
        try { process.kill(-group, signal); } catch { /* already gone */ }
      }
      if (signal === 'SIGTERM') await new Promise((r) => setTimeout(r, 1500));
    }
  });

  blocks.forEach((block, index) => {
    it(`line ${block.line} (${block.section}) runs and prints what the README shows`, { skip: block.skip || false, timeout: 240_000 }, async () => {
      const script = blockScript(block, index);
      const child = spawn('bash', ['-c', script], {
        cwd: project.dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...project.env, READMETEST_OUT: outDir },
      });
      groups.push(child.pid!);
      let output = '';
      child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
      // A background server keeps the pipes open: the block is done when bash exits.
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      assert.equal(code, 0, `the block at README.md line ${block.line} failed (exit ${code}):\n${output.slice(-4000)}`);
      block.commands.forEach((command, n) => {
        if (command.shown.length === 0) return;
        const printed = fs.readFileSync(path.join(outDir, `${index}.${n}`), 'utf8');
        const missing = firstUnmatched(command.shown, printed);
        assert.equal(missing, undefined, `README.md line ${block.line}: \`${command.lines[0]!.trim()}\` no longer prints "${missing}". It printed:\n${printed.slice(-3000)}`);
      });
    });
  });
});
