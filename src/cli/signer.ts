import type { Command } from 'commander';
import { CertpushError } from '../errors.ts';
import { parseCertificate } from '../pki/certificate.ts';
import { type VendorIdentityFlags, vendorIdentity, vendorIdentityOptions } from './vendor-identity.ts';
import { SIGNER_DEFAULT_PORT } from '../signer/protocol.ts';
import { startSignerServer } from '../signer/server.ts';
import { asVerdict } from './exit-codes.ts';
import { resolveVendorChain } from '../mdm/apple-cas.ts';
import { parseInputFile, readInputFile, readSecretFile } from './io.ts';

interface ServeOptions extends VendorIdentityFlags {
  intermediate?: string;
  root?: string;
  tokenFile?: string;
  host: string;
  port: string;
  tlsCert?: string;
  tlsKey?: string;
}

const TOKEN_ENV = 'CERTPUSH_SIGNER_TOKEN';

/** `certpush signer …`: the vendor signer service, a process of its own. */
export function registerSigner(program: Command): void {
  const signer = program.command('signer').description('The vendor signer: a separate process that holds the vendor MDM signing identity and signs customers\' CSRs.');

  vendorIdentityOptions(signer.command('serve'))
    .description(`Serve POST /v1/sign for callers with the token. Checks the vendor identity and chain first; prints its URL on stdout; stops on SIGINT/SIGTERM. The token comes from --token-file or ${TOKEN_ENV}.`)
    .option('--intermediate <file>', 'the WWDR intermediate that issued the vendor certificate (default: chosen from Apple\'s built-in WWDR CAs G2–G6; give it for a test PKI)')
    .option('--root <file>', 'the root above the intermediate (default: the built-in Apple root that issued it)')
    .option('--token-file <file>', `file holding the token callers must send (default: $${TOKEN_ENV})`)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', String(SIGNER_DEFAULT_PORT))
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM, chain included)')
    .option('--tls-key <file>', 'the TLS certificate\'s private key (PEM)')
    .action(async (opts: ServeOptions) => {
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new CertpushError('CLI_USAGE', 'Give --tls-cert and --tls-key together (or neither, for plain HTTP on 127.0.0.1).');
      const token = signerToken(opts.tokenFile);
      const port = parsePort(opts.port);
      const tls = opts.tlsCert && opts.tlsKey ? { cert: readInputFile(opts.tlsCert, '--tls-cert').toString('utf8'), key: readInputFile(opts.tlsKey, '--tls-key').toString('utf8') } : undefined;
      const vendor = vendorIdentity(opts);
      const given = {
        intermediate: opts.intermediate ? parseInputFile(opts.intermediate, '--intermediate', parseCertificate) : undefined,
        root: opts.root ? parseInputFile(opts.root, '--root', parseCertificate) : undefined,
      };
      let chain;
      try {
        chain = resolveVendorChain(vendor.certificate, given);
      } catch (error) {
        // Everything was read: no Apple CA above the vendor certificate is a verdict (exit 2), as
        // is the start's own check of key and chain (a FindingsError).
        throw asVerdict(error);
      }
      const server = await startSignerServer({
        vendor,
        ...chain,
        token,
        host: opts.host,
        port,
        tls,
      });
      for (const w of server.warnings) process.stderr.write(`warning: ${w.message}\n`);
      process.stdout.write(`${server.url}\n`);
      process.stderr.write(`certpush signer: serving on ${server.url} (SIGINT or SIGTERM stops it)\n`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        const stop = (received: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(received);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stderr.write(`certpush signer: ${signal}, finishing requests in flight\n`);
      await server.close();
    });
}

function signerToken(tokenFile: string | undefined): string {
  const token = tokenFile ? readSecretFile(tokenFile, '--token-file') : process.env[TOKEN_ENV];
  if (!token) throw new CertpushError('CLI_USAGE', `The signer needs a token: give --token-file or set ${TOKEN_ENV} (make one with "openssl rand -hex 32"), and give the same token to certpush serve.`);
  return token;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new CertpushError('CLI_USAGE', `--port ${text} is not a port number: give 0–65535 (0 picks a free one).`);
  return port;
}

// Same choice as `certpush mdm vendor-sign`: the vendor identity as PEM/DER files or one PKCS#12.
