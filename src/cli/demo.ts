import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { resolveConfig } from '../config.ts';
import { parseCertificate } from '../pki/certificate.ts';
import { loadIdentity } from '../pki/identity.ts';
import { startService } from '../server/start.ts';
import { startSignerServer } from '../signer/server.ts';
import { startApnsSimulator } from '../simulators/apns.ts';
import { issuePushCertificate } from '../simulators/apple-portal.ts';
import { mpnsSimulatorTls, startMpnsSimulator } from '../simulators/mpns.ts';
import { createTestPki, writeTestPki } from '../simulators/test-pki.ts';

/**
 * `certpush demo`: the whole product on one machine, offline — the APNs and MPNS simulators,
 * the vendor signer and the service — then a tenant onboarded through the MDM workflow over
 * HTTP, devices registered, a push sent, and its delivery report printed.
 */
export function registerDemo(program: Command): void {
  program.command('demo')
    .description('Run everything locally against the simulators: onboard a tenant (CSR → vendor signer → Apple portal stand-in → import), register devices, send, and print the delivery report.')
    .option('--devices <n>', 'MDM devices to register and push', '1000')
    .option('--port <port>', 'port for the service (and console)', '8080')
    .option('--keep-running', 'keep everything running afterwards to explore the console and API')
    .option('--write-env <file>', 'write OP, API and PKI for the README\'s curl walkthrough to FILE (as soon as the service is up), for `. FILE`')
    .action(async (opts: { devices: string; port: string; keepRunning?: boolean; writeEnv?: string }) => {
      const count = Number(opts.devices);
      const say = (text: string) => process.stdout.write(`${text}\n`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-demo-'));
      say(`certpush demo — everything runs locally; data in ${dir}\n`);

      const pki = await createTestPki();
      writeTestPki(path.join(dir, 'pki'), pki);
      const apns = await startApnsSimulator({ tls: pki.server, clientCa: [pki.appleRoot.cert, pki.pushCa.cert], logCapacity: Math.max(1000, count) });
      const mpns = await startMpnsSimulator({ tls: mpnsSimulatorTls(pki) });
      const signerToken = crypto.randomBytes(24).toString('base64url');
      const signer = await startSignerServer({
        vendor: loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }), intermediate: parseCertificate(pki.wwdr.cert),
        root: parseCertificate(pki.appleRoot.cert), token: signerToken, port: 0, log: () => {},
      });
      say(`  APNs simulator   ${apns.url}\n  MPNS simulator   ${mpns.httpUrl} (HTTP), ${mpns.httpsUrl} (HTTPS, client certificates)\n  vendor signer    ${signer.url}`);

      const operatorKey = `cpk_demo_${crypto.randomBytes(24).toString('base64url')}`;
      const config = {
        ...resolveConfig({}, {}),
        host: '127.0.0.1', port: Number(opts.port), dataDir: path.join(dir, 'data'),
        signerUrl: signer.url, signerToken, apnsEndpoint: apns.url,
        extraCaFile: path.join(dir, 'pki', 'server-ca.pem'), mpnsRootsFile: path.join(dir, 'pki', 'mpns-root.pem'), appleRootFile: path.join(dir, 'pki', 'apple-root.pem'),
        mpnsAllowedHosts: ['*.notify.live.net', new URL(mpns.httpUrl!).host, new URL(mpns.httpsUrl!).host],
        operatorKey, logLevel: 'warn',
      };
      // What the README's curl walkthrough needs, in shell syntax: OP, API and PKI. Written
      // before the service listens, so whoever waits for the port finds the file complete.
      const walkthrough = walkthroughEnv({ operatorKey, api: `http://127.0.0.1:${config.port}`, pki: path.join(dir, 'pki') });
      if (opts.writeEnv) fs.writeFileSync(opts.writeEnv, walkthrough, { mode: 0o600 });
      // On a busy port (or any start failure) the simulators and signer stop too, so the
      // process exits with the one-line error instead of idling on their open servers.
      const service = await startService(config, { logger: false }).catch(async (error: unknown) => {
        await Promise.all([apns.close(), mpns.close(), signer.close()]);
        fs.rmSync(dir, { recursive: true, force: true });
        if (opts.writeEnv) fs.rmSync(opts.writeEnv, { force: true });
        throw error;
      });
      say(`  certpush         ${service.url}  (console at ${service.url}/, API docs at ${service.url}/docs)`);
      say(`  test PKI         ${path.join(dir, 'pki')}  (the Apple portal stand-in issues push certificates from it)\n`);

      const call = async (key: string, method: string, p: string, body?: unknown, type = 'application/json') => {
        const r = await fetch(`${service.url}${p}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
        const json = await r.json() as Record<string, any>;
        if (!r.ok) throw new Error(`${method} ${p}: ${json.detail ?? r.status}`);
        return json;
      };
      const step = (n: number, text: string) => say(`${n}. ${text}`);

      const tenant = await call(operatorKey, 'POST', '/v1/tenants', { name: 'Demo Customer' });
      const tenantKey = (await call(operatorKey, 'POST', `/v1/tenants/${tenant.id}/api-keys`, { label: 'demo' })).key as string;
      step(1, `operator created tenant ${tenant.id} and its API key`);
      const csr = await call(tenantKey, 'POST', `/v1/tenants/${tenant.id}/mdm/csr`, { email: 'it@demo.example', org: 'Demo Customer', country: 'US' });
      step(2, `tenant generated its RSA 2048 key and CSR inside certpush (state: ${csr.state}; the key never leaves it)`);
      const signed = await call(tenantKey, 'POST', `/v1/tenants/${tenant.id}/mdm/push-cert-request`);
      step(3, `the vendor signer signed the CSR (SHA256withRSA) into a push certificate request (${signed.request.length} Base64 characters)`);
      const apple = await issuePushCertificate(pki, signed.request);
      step(4, `"Apple's portal" (stand-in) issued the MDM push certificate, topic ${apple.topic}`);
      const imported = await call(tenantKey, 'PUT', `/v1/tenants/${tenant.id}/mdm/push-cert`, { certificate: apple.cert });
      step(5, `tenant imported it: state ${imported.state}, expires ${imported.notAfter.slice(0, 10)} (${imported.daysLeft} days)`);
      const mpnsCred = await call(tenantKey, 'PUT', `/v1/tenants/${tenant.id}/mpns/credential`, { certificate: pki.mpnsClient.cert, key: pki.mpnsClient.key });
      step(6, `tenant installed its MPNS web service certificate: Service Name "${mpnsCred.serviceName}"`);

      const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ platform: 'mdm', token: crypto.createHash('sha256').update(`demo-${i}`).digest('hex'), pushMagic: crypto.randomUUID() }));
      lines.push(JSON.stringify({ platform: 'mpns', channelUri: mpns.channelUri('demo-phone-1', { authenticated: true }) }));
      lines.push(JSON.stringify({ platform: 'mpns', channelUri: mpns.channelUri('demo-phone-2') }));
      await call(tenantKey, 'POST', `/v1/tenants/${tenant.id}/devices:import`, lines.join('\n'), 'application/x-ndjson');
      step(7, `registered ${count} MDM devices and 2 Windows Phones`);

      const started = Date.now();
      const sent = await call(tenantKey, 'POST', `/v1/tenants/${tenant.id}/notifications`, { all: true, mdm: true, mpns: { type: 'toast', text1: 'certpush demo', text2: 'Hello from the authenticated web service' } });
      step(8, `sent one notification to all ${sent.total} devices (${sent.id})`);
      let report: Record<string, any>;
      for (;;) {
        report = await call(tenantKey, 'GET', `/v1/tenants/${tenant.id}/notifications/${sent.id}?limit=1`);
        if (report.completedAt) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (Date.now() - started) / 1000;
      say(`\nDelivery report for ${sent.id}:`);
      for (const [outcome, n] of Object.entries(report.counts as Record<string, number>)) if (n > 0) say(`  ${outcome.padEnd(10)} ${n}`);
      say(`  completed in ${seconds.toFixed(2)} s (${Math.round(sent.total / seconds)} deliveries/s)`);
      say(`  APNs simulator accepted ${apns.log.count} MDM pushes; MPNS simulator accepted ${mpns.notifications.length} toasts (${mpns.stats.authenticated} authenticated)\n`);

      if (opts.keepRunning) {
        say(`Explore: console ${service.url}/  — sign in with the operator key:\n  ${operatorKey}\nor the tenant key (tenant ${tenant.id}):\n  ${tenantKey}\n`);
        say(`For the README's curl walkthrough, in another shell:\n${walkthrough.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}\nand for Apple's step, the portal stand-in:\n  npx certpush simulate apple-portal --pki "$PKI" --request request.b64 --out MDM_Certificate.pem\n\nCtrl-C stops everything (and deletes ${dir}).`);
        await new Promise<void>((resolve) => { process.once('SIGINT', () => resolve()); process.once('SIGTERM', () => resolve()); });
      }
      await service.close();
      await Promise.all([apns.close(), mpns.close(), signer.close()]);
      fs.rmSync(dir, { recursive: true, force: true });
    });
}

/** `export` lines for the walkthrough's shell: the operator key, the API's URL, the test PKI. */
function walkthroughEnv(values: { operatorKey: string; api: string; pki: string }): string {
  const quote = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;
  return `export OP=${quote(values.operatorKey)}\nexport API=${quote(values.api)}\nexport PKI=${quote(values.pki)}\n`;
}
