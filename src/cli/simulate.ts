import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { issuePushCertificate } from '../simulators/apple-portal.ts';
import { createTestPki, readTestPki, writeTestPki } from '../simulators/test-pki.ts';
import { isCertpushError } from '../errors.ts';
import { parseCertificate } from '../pki/certificate.ts';
import { asVerdict } from './exit-codes.ts';
import { aboutInput, parseInputFile, readInputFile, writeOutput } from './io.ts';
import { registerSimulateApns } from './simulate-apns.ts';
import { registerSimulateMpns } from './simulate-mpns.ts';

/** `certpush simulate …`: the shipped simulators and test PKI. */
export function registerSimulate(program: Command): void {
  const simulate = program.command('simulate').description('Run simulators of Apple\'s and Microsoft\'s services, and make a test PKI.');
  registerSimulateApns(simulate);
  registerSimulateMpns(simulate);

  simulate.command('pki')
    .description('Create a test PKI (fake Apple root, WWDR, vendor signing identity, push CA, simulator TLS, MPNS root and client) in a directory.')
    .requiredOption('--out <dir>', 'directory to write (created if missing)')
    .action(async (opts: { out: string }) => {
      writeTestPki(opts.out, await createTestPki());
      process.stderr.write(`Wrote a test PKI to ${path.resolve(opts.out)} (see README.txt there). Trusted by nothing real.\n`);
    });

  simulate.command('apple-portal')
    .description('Stand in for Apple\'s Push Certificates Portal: verify a Push Certificate Request and issue an MDM push certificate for its CSR.')
    .requiredOption('--pki <dir>', 'test PKI directory (certpush simulate pki)')
    .requiredOption('--request <file>', 'the Base64 request from certpush mdm vendor-sign')
    .requiredOption('--out <file>', 'where to write the MDM push certificate (PEM)')
    .option('--renew <file>', 'the push certificate being renewed: the new one keeps its topic')
    .action(async (opts: { pki: string; request: string; out: string; renew?: string }) => {
      const pki = readTestPki(opts.pki);
      const request = readInputFile(opts.request, '--request');
      const previous = opts.renew ? parseInputFile(opts.renew, '--renew', parseCertificate).der : undefined;
      const result = await issuePushCertificate(pki, request, { previous }).catch((error: unknown) => {
        // Both refusals are the portal's verdict on files it read (exit 2), named like any input.
        if (isCertpushError(error, 'PORTAL_REJECTED')) throw aboutInput(error, opts.request, '--request');
        if (isCertpushError(error, 'PORTAL_NOT_RENEWABLE') && opts.renew) throw asVerdict(aboutInput(error, opts.renew, '--renew'));
        throw error;
      });
      fs.writeFileSync(opts.out, result.cert);
      writeOutput(undefined, `${result.topic}\n`);
      process.stderr.write(`${result.renewed ? 'Renewed' : 'Issued'} an MDM push certificate, topic ${result.topic}: ${opts.out}\n`);
    });
}
