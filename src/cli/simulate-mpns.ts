import type { Command } from 'commander';
import { CertpushError } from '../errors.ts';
import { UNAUTHENTICATED_DAILY_LIMIT } from '../mpns/protocol.ts';
import { mpnsSimulatorTls, startMpnsSimulator } from '../simulators/mpns.ts';
import { readTestPki } from '../simulators/test-pki.ts';

function port(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new CertpushError('CLI_PORT', `${option} must be a port number from 0 (any free port) to 65535; it is "${text}".`);
  return value;
}

/** `certpush simulate mpns`: run the MPNS simulator until interrupted. */
export function registerSimulateMpns(simulate: Command): void {
  simulate.command('mpns')
    .description('Run an MPNS simulator: HTTP for unauthenticated channels (500 per subscription per day), HTTPS with client certificates for authenticated ones. Runs until Ctrl-C.')
    .option('--port <port>', 'HTTP port (0: any free port)', '0')
    .option('--tls-port <port>', 'also serve HTTPS on this port (needs --pki)')
    .option('--pki <dir>', 'test PKI directory (certpush simulate pki): server certificate, and the MPNS root client certificates must chain to')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--daily-limit <n>', 'notifications per unauthenticated subscription per UTC day', String(UNAUTHENTICATED_DAILY_LIMIT))
    .action(async (opts: { port: string; tlsPort?: string; pki?: string; host: string; dailyLimit: string }) => {
      if (opts.tlsPort !== undefined && opts.pki === undefined) {
        throw new CertpushError('CLI_MPNS_SIMULATOR_PKI', '--tls-port needs --pki DIR: the HTTPS server uses its server certificate and accepts client certificates under its MPNS root. Create one with "certpush simulate pki --out DIR".');
      }
      const dailyLimit = Number(opts.dailyLimit);
      if (!Number.isInteger(dailyLimit) || dailyLimit < 0) throw new CertpushError('CLI_DAILY_LIMIT', `--daily-limit must be a whole number; it is "${opts.dailyLimit}".`);
      const pki = opts.pki !== undefined ? readTestPki(opts.pki) : null;
      const simulator = await startMpnsSimulator({
        host: opts.host,
        port: port(opts.port, '--port'),
        tls: pki ? mpnsSimulatorTls(pki, port(opts.tlsPort ?? '0', '--tls-port')) : undefined,
        dailyLimit,
      });
      const lines = [
        'MPNS simulator running (Ctrl-C to stop)',
        `http:  ${simulator.httpUrl}   unauthenticated, ${dailyLimit} per subscription per UTC day`,
        `  channel URI e.g. ${simulator.channelUri('phone-1')}`,
      ];
      if (simulator.httpsUrl) {
        lines.push(`https: ${simulator.httpsUrl}   authenticated: client certificate under ${opts.pki}/mpns-root.pem, no limit`);
        lines.push(`  channel URI e.g. ${simulator.channelUri('phone-1', { authenticated: true })}`);
      }
      const httpHost = new URL(simulator.httpUrl!).host;
      lines.push(
        `status: ${simulator.httpUrl}/_simulator/stats   accepted: ${simulator.httpUrl}/_simulator/notifications`,
        'tokens starting expired-, inactive-, disconnected-, suppressed-, queuefull-, unavailable- answer that way',
        `try:   certpush push mpns --channel ${simulator.channelUri('phone-1')} --allow-host ${httpHost} --toast-text1 Hello`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void simulator.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
