// certpush's CLI conventions, one set for every command (README "CLI reference"): the option
// names, the exit codes, the error format, and that no command creates data it was not asked to.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, main } from '../../src/cli/main.ts';
import { EXIT_BUG, EXIT_FOUND_WANTING, EXIT_SUCCESS, EXIT_USAGE } from '../../src/cli/exit-codes.ts';
import { writeTestPki } from '../../src/simulators/test-pki.ts';
import { runCli } from '../fixtures/cli.ts';
import { openssl, tempDir, testPki } from '../fixtures/pki.ts';

const OLD_SPELLINGS = ['--pfx', '--vendor-p12', '--passphrase-file'];

/** Every command that runs (has an action), with its path: ["mdm", "vendor-sign"]. */
function leafCommands(command: Command = buildProgram(), trail: string[] = []): Array<{ path: string[]; command: Command }> {
  if (command.commands.length === 0) return [{ path: trail, command }];
  return command.commands.filter((c) => c.name() !== 'help').flatMap((c) => leafCommands(c, [...trail, c.name()]));
}

/** Run main() in this process (usage errors never reach an action) and collect what it prints on stderr. */
async function runInProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(['node', 'certpush', ...args]), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('CLI conventions: option names', () => {
  const leaves = leafCommands();

  it('every option that takes a PKCS#12 file is --p12, and every password or passphrase file is --password-file', () => {
    const seen = { p12: 0, password: 0 };
    for (const { path: p, command } of leaves) {
      for (const option of command.options.filter((o) => !o.hidden && o.required)) {
        const help = option.description.toLowerCase();
        if (/\bpkcs#12\b/.test(help) && !/password|passphrase/.test(help)) {
          assert.equal(option.long, '--p12', `certpush ${p.join(' ')} ${option.flags}: ${option.description}`);
          seen.p12++;
        }
        if (/password|passphrase/.test(help) && option.long?.endsWith('-file')) {
          assert.equal(option.long, '--password-file', `certpush ${p.join(' ')} ${option.flags}: ${option.description}`);
          seen.password++;
        }
      }
    }
    // push apns, push mpns, mdm vendor-sign and signer serve take a PKCS#12; those and cert
    // inspect, mdm import-cert and mpns check-cert a password.
    assert.deepEqual(seen, { p12: 4, password: 7 });
  });

  it('no command shows the old spellings --pfx, --vendor-p12 or --passphrase-file in its --help', () => {
    for (const { path: p, command } of leaves) {
      const help = command.helpInformation();
      for (const old of OLD_SPELLINGS) assert.ok(!help.includes(old), `certpush ${p.join(' ')} --help shows ${old}`);
    }
  });

  it('the README shows only the current spellings', () => {
    const readme = fs.readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    for (const old of OLD_SPELLINGS) assert.ok(!readme.includes(`\`${old}`) && !new RegExp(`\\s${old}\\s`).test(readme), `README mentions ${old}`);
  });
});

describe('CLI conventions: commander\'s own errors come out as "certpush: … [CODE]" with exit 1', () => {
  const leaves = leafCommands();

  it('an unknown option, in every command, names itself and the command\'s --help', async () => {
    for (const { path: p, command } of leaves) {
      // commander checks required options first: give them, so the unknown one is the only error.
      const required = command.options.filter((o) => o.mandatory).flatMap((o) => [o.long!, 'x']);
      const r = await runInProcess([...p, ...required, '--no-such-option']);
      assert.equal(r.code, EXIT_USAGE, `certpush ${p.join(' ')}`);
      assert.equal(r.stderr, `certpush: unknown option '--no-such-option' (see "certpush ${p.join(' ')} --help") [CLI_UNKNOWN_OPTION]\n`);
    }
  });

  it('a missing required option, in every command that has one', async () => {
    let checked = 0;
    for (const { path: p, command } of leaves) {
      const required = command.options.find((o) => o.mandatory && o.defaultValue === undefined);
      if (!required) continue;
      const r = await runInProcess(p);
      assert.equal(r.code, EXIT_USAGE);
      assert.match(r.stderr, /^certpush: required option '--[a-z-]+ <[a-z=-]+>' not specified \(see "certpush [a-z -]+ --help"\) \[CLI_MISSING_OPTION\]\n$/, `certpush ${p.join(' ')}`);
      checked++;
    }
    assert.ok(checked >= 6, `${checked} commands with a required option`);
  });

  it('a missing argument, an extra argument, an option without its value and a value not among the choices', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['cert', 'inspect'], /^certpush: missing required argument 'file' \(see "certpush cert inspect --help"\) \[CLI_MISSING_ARGUMENT\]\n$/],
      [['cert', 'inspect', 'a.pem', 'b.pem'], /^certpush: too many arguments for 'inspect'\. Expected 1 argument but got 2 \(see "certpush cert inspect --help"\) \[CLI_EXCESS_ARGUMENTS\]\n$/],
      [['mdm', 'verify-request', 'r.b64', '--root'], /^certpush: option '--root <file>' argument missing \(see "certpush mdm verify-request --help"\) \[CLI_MISSING_OPTION_VALUE\]\n$/],
      [['push', 'mpns', '--channel', 'x', '--class', '10'], /^certpush: option '--class <interval>' argument '10' is invalid\. Allowed choices are immediate, 450, 900 \(see "certpush push mpns --help"\) \[CLI_INVALID_VALUE\]\n$/],
      [['frobnicate'], /^certpush: unknown command 'frobnicate' \(see "certpush --help"\) \[CLI_UNKNOWN_COMMAND\]\n$/],
    ];
    for (const [args, expected] of cases) {
      const r = await runInProcess(args);
      assert.equal(r.code, EXIT_USAGE, args.join(' '));
      assert.match(r.stderr, expected);
    }
  });

  it('a command group without its command prints the group\'s help, then one certpush line', async () => {
    const r = await runCli(['mdm']);
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.stderr, /^Usage: certpush mdm /);
    assert.match(r.stderr, /\ncertpush: "certpush mdm" needs a command: one of those listed above \(see "certpush mdm --help"\) \[CLI_MISSING_COMMAND\]\n$/);
  });

  it('the real binary prints the same single line, nothing on stdout', async () => {
    const r = await runCli(['mdm', 'vendor-sign', '--csr', 'x.csr', '--vendor-certt', 'v.pem']);
    assert.equal(r.code, EXIT_USAGE);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^certpush: unknown option '--vendor-certt' \(Did you mean --vendor-cert\?\) \(see "certpush mdm vendor-sign --help"\) \[CLI_UNKNOWN_OPTION\]\n$/);
  });

  it('--help and --version still exit 0', async () => {
    assert.equal((await runCli(['mdm', 'vendor-sign', '--help'])).code, EXIT_SUCCESS);
    assert.equal((await runCli(['--version'])).code, EXIT_SUCCESS);
  });

  it('the exit codes are 0, 1, 2, and 70 only for a certpush bug', () => {
    assert.deepEqual([EXIT_SUCCESS, EXIT_USAGE, EXIT_FOUND_WANTING, EXIT_BUG], [0, 1, 2, 70]);
  });
});

describe('CLI conventions: input files, exit codes and SHA-1 CSRs', { concurrency: 8 }, () => {
  const dir = tempDir();
  const at = (name: string) => path.join(dir, name);
  const pki = (name: string) => path.join(dir, 'pki', name);
  const testChain = () => ['--intermediate', pki('wwdr.pem'), '--root', pki('apple-root.pem')];
  const vendorPem = () => ['--vendor-cert', pki('vendor.pem'), '--vendor-key', pki('vendor.key')];

  before(async () => {
    writeTestPki(path.join(dir, 'pki'), await testPki());
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', at('customer.key'), '-out', at('customer.csr'), '-subj', '/CN=Customer/O=Acme/C=US']);
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha1', '-keyout', at('sha1.key'), '-out', at('sha1.csr'), '-subj', '/CN=Old Tool/O=Acme/C=US']);
    openssl(['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', at('small.key'), '-out', at('small.csr'), '-subj', '/CN=Small/O=Acme/C=US']);
    openssl(['pkcs12', '-export', '-in', pki('vendor.pem'), '-inkey', pki('vendor.key'), '-out', at('vendor.p12'), '-passout', 'pass:vendor-secret']);
    fs.writeFileSync(at('p12pass'), 'vendor-secret\n');
    fs.writeFileSync(at('empty'), '');
  });

  describe('mdm vendor-sign says which of its input files is wrong (exit 1)', { concurrency: 8 }, () => {
    const refused = async (args: string[], expected: RegExp) => {
      const r = await runCli(['mdm', 'vendor-sign', ...args]);
      assert.equal(r.code, EXIT_USAGE, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, expected);
    };

    it('the CSR: an empty file is called empty', () => refused(['--csr', at('empty'), ...vendorPem(), ...testChain()],
      /^certpush: --csr \S+empty: the file is empty \(0 bytes\)\. .*\[FILE_EMPTY\]\n$/));
    it('the CSR: a certificate given as the CSR', () => refused(['--csr', pki('vendor.pem'), ...vendorPem(), ...testChain()],
      /^certpush: --csr \S+vendor\.pem: .*CERTIFICATE REQUEST.*\[PEM_WRONG_TYPE\]\n$/));
    it('the vendor certificate: a key given as the certificate', () => refused(['--csr', at('customer.csr'), '--vendor-cert', pki('vendor.key'), '--vendor-key', pki('vendor.key'), ...testChain()],
      /^certpush: --vendor-cert \S+vendor\.key: expected one or more "CERTIFICATE" PEM blocks.*\[PEM_WRONG_TYPE\]\n$/));
    it('the vendor key: one that does not belong to the vendor certificate', () => refused(['--csr', at('customer.csr'), '--vendor-cert', pki('vendor.pem'), '--vendor-key', at('customer.key'), ...testChain()],
      /^certpush: --vendor-key \S+customer\.key does not belong to --vendor-cert \S+vendor\.pem: .*\[KEY_MISMATCH\]\n$/));
    it('the vendor PKCS#12: given without --password-file, it needs a password (not "the password is wrong")', () => refused(['--csr', at('customer.csr'), '--p12', at('vendor.p12'), ...testChain()],
      /^certpush: --p12 \S+vendor\.p12: the PKCS#12 file is protected by a password: give it with --password-file FILE.*\[P12_PASSWORD_REQUIRED\]\n$/));
    it('the vendor PKCS#12: an empty password file is called empty', () => refused(['--csr', at('customer.csr'), '--p12', at('vendor.p12'), '--password-file', at('empty'), ...testChain()],
      /^certpush: --password-file \S+empty: the file is empty.*\[FILE_EMPTY\]\n$/));
    it('the chain: a CSR given as the intermediate', () => refused(['--csr', at('customer.csr'), ...vendorPem(), '--intermediate', at('customer.csr'), '--root', pki('apple-root.pem')],
      /^certpush: --intermediate \S+customer\.csr: .*found: CERTIFICATE REQUEST.*\[PEM_WRONG_TYPE\]\n$/));
    it('the chain: a root that does not exist', () => refused(['--csr', at('customer.csr'), ...vendorPem(), '--intermediate', pki('wwdr.pem'), '--root', at('nope.pem')],
      /^certpush: --root \S+nope\.pem: the file does not exist\. Check the path\. \[FILE_NOT_FOUND\]\n$/));
  });

  it('mdm vendor-sign exits 2 when its checks refuse a readable CSR (1024-bit key)', async () => {
    const r = await runCli(['mdm', 'vendor-sign', '--csr', at('small.csr'), ...vendorPem(), ...testChain()]);
    assert.equal(r.code, EXIT_FOUND_WANTING, r.stderr);
    assert.match(r.stderr, /CSR_KEY_SIZE.*\[REQUEST_SIGN_REFUSED\]\n$/s);
  });

  it('mdm vendor-sign still takes the old spellings --vendor-p12 and --passphrase-file', async () => {
    const r = await runCli(['mdm', 'vendor-sign', '--csr', at('customer.csr'), '--vendor-p12', at('vendor.p12'), '--passphrase-file', at('p12pass'), ...testChain(), '--out', at('alias.b64')]);
    assert.equal(r.code, EXIT_SUCCESS, r.stderr);
    assert.match(fs.readFileSync(at('alias.b64'), 'utf8'), /^[A-Za-z0-9+/]+=*\n$/);
  });

  it('mdm vendor-sign signs a SHA-1 CSR made by openssl but warns about it, exit 0', async () => {
    const r = await runCli(['mdm', 'vendor-sign', '--csr', at('sha1.csr'), '--p12', at('vendor.p12'), '--password-file', at('p12pass'), ...testChain(), '--out', at('sha1.b64')]);
    assert.equal(r.code, EXIT_SUCCESS, r.stderr);
    assert.match(r.stderr, /^warning: The CSR is self-signed with SHA-1 .*\[CSR_SIGNATURE_SHA1\]$/m);
    const json = await runCli(['mdm', 'vendor-sign', '--csr', at('sha1.csr'), ...vendorPem(), ...testChain(), '--json']);
    assert.deepEqual((JSON.parse(json.stdout) as { warnings: Array<{ code: string }> }).warnings.map((w) => w.code), ['CSR_SIGNATURE_SHA1']);
  });

  it('mdm vendor-sign says nothing about a SHA-256 CSR', async () => {
    const r = await runCli(['mdm', 'vendor-sign', '--csr', at('customer.csr'), ...vendorPem(), ...testChain(), '--out', at('sha256.b64')]);
    assert.equal(r.code, EXIT_SUCCESS, r.stderr);
    assert.doesNotMatch(r.stderr, /warning/);
  });

  it('mdm verify-request warns about a SHA-1 CSR and still finds the request valid (exit 0); an invalid one exits 2', async () => {
    const signed = await runCli(['mdm', 'vendor-sign', '--csr', at('sha1.csr'), ...vendorPem(), ...testChain(), '--out', at('sha1-verify.b64')]);
    assert.equal(signed.code, EXIT_SUCCESS, signed.stderr);
    const valid = await runCli(['mdm', 'verify-request', at('sha1-verify.b64'), '--root', pki('apple-root.pem')]);
    assert.equal(valid.code, EXIT_SUCCESS, valid.stdout);
    assert.match(valid.stdout, /^warning: The CSR is self-signed with SHA-1 .*\[CSR_SIGNATURE_SHA1\]$/m);
    assert.match(valid.stdout, /^valid:/m);
    const invalid = await runCli(['mdm', 'verify-request', at('sha1-verify.b64')]);
    assert.equal(invalid.code, EXIT_FOUND_WANTING);
    assert.match(invalid.stdout, /\[CHAIN_UNTRUSTED_ROOT\]/);
  });

  it('mdm verify-request exits 1 for an empty file: nothing was checked', async () => {
    const r = await runCli(['mdm', 'verify-request', at('empty')]);
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.stderr, /^certpush: \S+empty: the file is empty \(0 bytes\)\. .*\[FILE_EMPTY\]\n$/);
  });

  it('push apns names --p12 when its PKCS#12 needs a password', async () => {
    const r = await runCli(['push', 'apns', '--token', 'ab'.repeat(32), '--p12', at('vendor.p12'), '--push-magic', 'M', '--endpoint', 'https://127.0.0.1:9']);
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.stderr, /^certpush: --p12 \S+vendor\.p12: the PKCS#12 file is protected by a password: give it with --password-file FILE.*\[P12_PASSWORD_REQUIRED\]\n$/);
  });

  it('push apns --p8 and simulate apns --token-key name their file when it is not a key (exit 1, not a crash)', async () => {
    const p8 = await runCli(['push', 'apns', '--token', 'ab'.repeat(32), '--p8', at('customer.csr'), '--key-id', 'K', '--team-id', 'T', '--payload', '{}', '--endpoint', 'https://127.0.0.1:9']);
    assert.equal(p8.code, EXIT_USAGE);
    assert.match(p8.stderr, /^certpush: --p8 \S+customer\.csr: expected a private key .*\[PEM_WRONG_TYPE\]\n$/);
    const sim = await runCli(['simulate', 'apns', '--pki', path.join(dir, 'pki'), '--token-key', at('customer.csr'), '--key-id', 'K', '--team-id', 'T', '--port', '0']);
    assert.equal(sim.code, EXIT_USAGE);
    assert.match(sim.stderr, /^certpush: --token-key \S+customer\.csr: the file is not a \.p8 signing key .*\[KEY_UNPARSABLE\]\n$/);
  });

  it('simulate apple-portal exits 2 for a request the portal rejects, naming --request', async () => {
    fs.writeFileSync(at('garbage.b64'), 'not a request\n');
    const r = await runCli(['simulate', 'apple-portal', '--pki', path.join(dir, 'pki'), '--request', at('garbage.b64'), '--out', at('never.pem')]);
    assert.equal(r.code, EXIT_FOUND_WANTING, r.stderr);
    assert.match(r.stderr, /^certpush: --request \S+garbage\.b64: Apple's portal would reject this request:\n.*\[PORTAL_REJECTED\]\n$/s);
    assert.ok(!fs.existsSync(at('never.pem')));
  });

  it('cert inspect names the file it cannot open', async () => {
    const r = await runCli(['cert', 'inspect', at('vendor.p12')]);
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.stderr, /^certpush: \S+vendor\.p12: this is a PKCS#12 .*--password-file.*\[P12_PASSWORD_REQUIRED\]\n$/);
  });
});

describe('CLI conventions: no command creates a data directory it was not asked to', { concurrency: 4 }, () => {
  // The environment a reader has by default: no data directory, database or master key chosen.
  const bare = { CERTPUSH_DATA_DIR: undefined, DATABASE_URL: undefined, CERTPUSH_DATABASE_URL: undefined, CERTPUSH_MASTER_KEY: undefined };

  for (const args of [['status'], ['csr'], ['import-cert', 'push.pem']]) {
    it(`mdm ${args[0]} --tenant T without --server or --data-dir refuses, and creates nothing`, async () => {
      const cwd = tempDir();
      fs.writeFileSync(path.join(cwd, 'push.pem'), 'not used');
      const r = await runCli(['mdm', ...args, '--tenant', 'ten_1'], { cwd, env: bare });
      assert.equal(r.code, EXIT_USAGE);
      assert.match(r.stderr, /^certpush: Say where certpush keeps its tenants: --server URL .* or --data-dir DIR .*does not create a data directory\. \[CLI_NO_DATA_SOURCE\]\n$/);
      assert.deepEqual(fs.readdirSync(cwd), ['push.pem']);
    });
  }

  it('mdm status --data-dir DIR refuses a directory that holds no certpush database, and writes nothing there', async () => {
    const cwd = tempDir();
    const r = await runCli(['mdm', 'status', '--tenant', 'ten_1', '--data-dir', 'nowhere'], { cwd, env: bare });
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.stderr, /^certpush: --data-dir \S+nowhere: there is no certpush database here .*\[CLI_DATA_DIR_EMPTY\]\n$/);
    assert.deepEqual(fs.readdirSync(cwd), []);
  });

  it('mdm status --database-url without a master key refuses instead of writing ./data/master.key', async () => {
    const cwd = tempDir();
    const r = await runCli(['mdm', 'status', '--tenant', 'ten_1', '--database-url', 'postgres://postgres@127.0.0.1:5432/test'], { cwd, env: bare });
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.stderr, /\[CLI_NO_MASTER_KEY\]\n$/);
    assert.deepEqual(fs.readdirSync(cwd), []);
    const named = await runCli(['mdm', 'status', '--tenant', 'ten_1', '--database-url', 'postgres://postgres@127.0.0.1:5432/test', '--data-dir', 'keys'], { cwd, env: bare });
    assert.match(named.stderr, /\[CLI_NO_MASTER_KEY\]\n$/);
    assert.deepEqual(fs.readdirSync(cwd), []);
  });

  it('serve says in its help that it creates its data directory', async () => {
    const r = await runCli(['serve', '--help']);
    assert.match(r.stdout.replace(/\s+/g, ' '), /--data-dir <value> directory for the embedded SQLite database and the master key \(created on first start\)/);
  });
});
