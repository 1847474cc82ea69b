import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { runRetention } from '../../src/delivery/retention.ts';
import { parseCsr } from '../../src/pki/csr.ts';
import { issuePushCertificate } from '../../src/simulators/apple-portal.ts';
import { issueMdmPushCertificate } from '../../src/simulators/test-pki.ts';
import { backends } from '../fixtures/backends.ts';
import {
  assertAccessible, assertFitsPhone, assertInOrder, chromiumSkip, launchBrowser, openPage, type PageErrors, publishScreenshot, screenshot, tabSequence,
} from '../fixtures/browser.ts';
import { deviceToken, onboardTenant, startWorld, type World } from '../fixtures/service.ts';
import type { BrowserContext } from 'playwright-core';

const DAY = 86_400_000;

// The console in a real browser against a whole certpush world (simulators, signer, service):
// what an operator and a tenant do, page by page, checked for console errors and accessibility.
describe('the web console in Chromium', { skip: chromiumSkip() }, () => {
  let world: World;
  let browser: BrowserContext;
  let operator: { page: Page; errors: PageErrors };
  let tenant: { page: Page; errors: PageErrors };
  let tenantKey: string;
  let tenantId: string;
  let topic: string;
  const ids: Record<string, string> = {};

  before(async () => {
    const sqlite = (await backends()).find((b) => b.name === 'sqlite')!;
    [world, browser] = await Promise.all([startWorld(sqlite), launchBrowser()]);
  });

  /** A tenant whose MDM push certificate expires in `days` days, imported through the API. */
  async function tenantExpiringIn(name: string, days: number): Promise<string> {
    const op = world.operatorKey;
    const created = await world.api(op, 'POST', '/v1/tenants', { name });
    const tid = created.body.id as string;
    await world.api(op, 'POST', `/v1/tenants/${tid}/mdm/csr`, {});
    const pending = await world.api(op, 'GET', `/v1/tenants/${tid}/mdm/push-cert`);
    const csr = parseCsr(pending.body.pendingCsr);
    const publicKey = crypto.createPublicKey({ key: csr.publicKey.spki, format: 'der', type: 'spki' });
    const { cert } = await issueMdmPushCertificate(world.pki, { publicKey, notAfter: new Date(Date.now() + days * DAY + 3_600_000) });
    const imported = await world.api(op, 'PUT', `/v1/tenants/${tid}/mdm/push-cert`, { certificate: cert });
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    return tid;
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function stepHeading(page: Page, text: RegExp): Promise<void> {
    await page.locator('#step-heading').filter({ hasText: text }).waitFor();
  }

  /** Click "Download the request" and read what the browser saved. */
  async function downloadRequest(page: Page): Promise<string> {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the request' }).click()]);
    assert.equal(download.suggestedFilename(), 'push-cert-request.b64');
    return fs.readFileSync((await download.path())!, 'utf8').trim();
  }

  async function uploadCertificate(page: Page, pem: string): Promise<void> {
    await page.getByLabel('Apple\'s certificate file').setInputFiles({ name: 'MDM_certpush_Certificate.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(pem) });
    await page.getByRole('button', { name: 'Upload the certificate' }).click();
  }

  it('the operator home lists tenants most urgent first, with colored expiry badges and the vendor certificate', async () => {
    ids.urgent = await tenantExpiringIn('Urgent Co', 3);
    ids.soon = await tenantExpiringIn('Soon Co', 20);
    ids.fine = (await onboardTenant(world, 'Fine Co')).tid;
    ids.fresh = (await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'New Co' })).body.id;

    operator = await openPage(browser, world.url);
    await signIn(operator.page, world.operatorKey);
    const page = operator.page;
    await page.locator('table.tenants tbody tr').first().waitFor();
    const names = await page.locator('table.tenants tbody tr td:first-child').allInnerTexts();
    assert.deepEqual(names.map((n) => n.trim()), ['Urgent Co', 'Soon Co', 'New Co', 'Fine Co']);
    const levels = await page.locator('table.tenants tbody tr').evaluateAll((rows) => rows.map((row) => row.querySelector('[data-level]')?.getAttribute('data-level') ?? null));
    assert.deepEqual(levels, ['critical', 'warning', null, 'ok']);
    await assertTextIn(page, `tr[data-tenant-id="${ids.urgent}"]`, /3 days left/);

    const vendor = page.locator('section.vendor');
    await assertTextIn(page, 'section.vendor', /Vendor signing certificate/);
    assert.equal(await vendor.locator('.badge').getAttribute('data-level'), 'ok');
    assert.match((await vendor.locator('time').getAttribute('datetime'))!, /^\d{4}-\d\d-\d\dT/);

    await assertAccessible(page, 'the operator home');
    publishScreenshot(await screenshot(page, 'operator-home'), 'console-operator-home.png');
    const order = await tabSequence(page, 10);
    assertInOrder(order, ['Skip to content', /certpush console/, 'Sign out', 'Urgent Co', 'Create API key for Urgent Co', 'Soon Co'], 'operator home');
    await assertFitsPhone(page, 'the operator home', 'operator-home-phone');
    operator.errors.assertNone();
  });

  it('the operator creates a tenant and an API key that is shown once and copies to the clipboard', async () => {
    const page = operator.page;
    await page.getByLabel('Tenant name').fill('Wizard Co');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const row = page.locator('table.tenants tr', { hasText: 'Wizard Co' });
    await row.waitFor();
    await assertTextIn(page, 'main', /Tenant Wizard Co created\. Next: create an API key for it\./);
    tenantId = (await row.getAttribute('data-tenant-id'))!;

    await page.getByRole('button', { name: 'Create API key for Wizard Co' }).click();
    await page.getByLabel('Label (optional)').fill('console test');
    await page.getByRole('button', { name: 'Create the key' }).click();
    const keyInput = page.getByLabel('API key for Wizard Co', { exact: true });
    tenantKey = await keyInput.inputValue();
    assert.match(tenantKey, /^cpk_/);
    await assertTextIn(page, '.key-panel', /shown only once/);
    await page.getByRole('button', { name: 'Copy the key' }).click();
    await assertTextIn(page, '.key-panel', /Copied to the clipboard/);
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), tenantKey);
    await assertAccessible(page, 'the API key panel');
    await screenshot(page, 'api-key-created');

    const own = await world.api(tenantKey, 'GET', '/v1/tenants');
    assert.deepEqual(own.body.items.map((t: { name: string }) => t.name), ['Wizard Co']);
    operator.errors.assertNone();
  });

  it('a tenant key sees only its own tenant, keeps the key in sessionStorage only, and signing out forgets it', async () => {
    tenant = await openPage(browser, world.url);
    const page = tenant.page;
    tenant.errors.expect(/status of 401.*\/v1\/whoami/);
    await signIn(page, 'cpk_not-a-key-anyone-gave-out');
    await assertTextIn(page, '.alert-error', /The API key is not valid/);
    await assertTextIn(page, '.alert-error', /AUTH_INVALID/);
    await page.getByLabel('API key').fill('');
    await signIn(page, tenantKey);
    await page.getByRole('heading', { level: 1, name: 'Wizard Co' }).waitFor();
    assert.equal(await page.locator('#who').innerText(), 'Tenant: Wizard Co');
    assert.equal(await page.locator('.breadcrumb').count(), 0, 'no way to "All tenants" for a tenant key');
    const storage = await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length, value: JSON.stringify(sessionStorage) }));
    assert.equal(storage.local, 0);
    assert.ok(storage.value.includes(tenantKey));

    await page.goto(`${world.url}/#/`);
    await page.getByRole('heading', { level: 1, name: 'Wizard Co' }).waitFor();
    assert.equal(await page.getByText('Urgent Co').count(), 0);

    // The overview asks for the tenant and its notifications at once: both answer 404, as for a tenant that does not exist.
    tenant.errors.expect(/status of 404.*\/v1\/tenants\/[^/]+\)$/);
    tenant.errors.expect(/status of 404.*\/v1\/tenants\/[^/]+\/notifications\)$/);
    await page.goto(`${world.url}/#/tenants/${ids.urgent}`);
    await assertTextIn(page, 'main', /Tenant .* was not found/);
    await assertTextIn(page, 'main', /NOT_FOUND/);

    await page.goto(`${world.url}/#/tenants/${tenantId}`);
    await page.getByRole('heading', { level: 1, name: 'Wizard Co' }).waitFor();
    await assertAccessible(page, 'the tenant overview');
    await screenshot(page, 'tenant-home');
    await assertFitsPhone(page, 'the tenant overview');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to certpush' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await assertAccessible(page, 'the sign-in page');
    assertInOrder(await tabSequence(page, 4), ['Skip to content', /certpush console/, 'API key', 'Sign in'], 'the sign-in page');
    await screenshot(page, 'sign-in');
    await signIn(page, tenantKey);
    await page.getByRole('heading', { level: 1, name: 'Wizard Co' }).waitFor();
    tenant.errors.assertNone();
  });

  it('the wizard walks CSR → vendor signer → Apple\'s portal → upload, and shows the topic and expiry', async () => {
    const page = tenant.page;
    await openSection(page, 'MDM push certificate');
    await stepHeading(page, /Step 1: generate the CSR/);
    await page.getByLabel('Contact email (optional)').fill('it@wizard.test');
    await page.getByLabel('Country code (optional)').fill('DE');
    await assertAccessible(page, 'wizard step 1');
    assertInOrder(await tabSequence(page, 16), ['Sign out', 'Overview', 'MDM push certificate', 'Devices', 'Contact email (optional)', 'Organization (optional)', 'Country code (optional)', 'Generate the CSR'], 'wizard step 1');
    await screenshot(page, 'wizard-1-csr');
    await page.getByRole('button', { name: 'Generate the CSR' }).click();

    await stepHeading(page, /Step 2/);
    // Focus follows the wizard to the new step, so keyboard and screen-reader users land there.
    assert.equal(await page.evaluate('document.activeElement.id'), 'step-heading');
    assert.match(await page.locator('.stepper li[aria-current="step"]').innerText(), /Step 2:\s*Get it signed/);
    await assertAccessible(page, 'wizard step 2');
    await screenshot(page, 'wizard-2-sign');
    await page.getByRole('button', { name: 'Ask the vendor signer' }).click();

    await stepHeading(page, /Step 3/);
    assert.equal(await page.getByRole('link', { name: 'identity.apple.com/pushcert' }).getAttribute('href'), 'https://identity.apple.com/pushcert');
    await assertTextIn(page, '.instructions', /managed or verified Apple ID/);
    await assertTextIn(page, '.instructions', /Create a Certificate/);
    const request = await downloadRequest(page);
    await assertAccessible(page, 'wizard step 3');
    publishScreenshot(await screenshot(page, 'wizard-3-apple-portal'), 'console-wizard.png');
    await assertFitsPhone(page, 'wizard step 3', 'wizard-3-apple-portal-phone');

    // The customer takes the file to Apple; here the portal stand-in issues the certificate.
    const apple = await issuePushCertificate(world.pki, request);
    topic = apple.topic;
    await page.getByRole('button', { name: 'I have Apple\'s certificate: continue' }).click();
    await stepHeading(page, /Step 4/);
    await assertAccessible(page, 'wizard step 4');
    await screenshot(page, 'wizard-4-upload');
    await uploadCertificate(page, apple.cert);

    await page.locator('#imported-topic').filter({ hasText: topic }).waitFor();
    await assertTextIn(page, '.alert-success', /The push certificate is active/);
    await assertTextIn(page, '.alert-success', /36[45] days left/);
    assert.match((await page.locator('.alert-success time').getAttribute('title'))!, /^\d{4}-\d\d-\d\dT.*Z$/);
    await assertAccessible(page, 'the imported certificate');
    await screenshot(page, 'wizard-done');
    const stored = await world.api(tenantKey, 'GET', `/v1/tenants/${tenantId}/mdm/push-cert`);
    assert.equal(stored.body.state, 'active');
    assert.equal(stored.body.topic, topic);
    tenant.errors.assertNone();
  });

  it('renewal shows the topic that must match; a different topic is shown as a danger and replaced only when confirmed', async () => {
    const page = tenant.page;
    await page.getByRole('button', { name: 'Start renewal' }).click();
    await stepHeading(page, /Step 1: generate a new CSR for the renewal/);
    await page.getByRole('button', { name: 'Generate a new CSR for the renewal' }).click();
    await stepHeading(page, /Step 2/);
    assert.equal(await page.locator('#required-topic').innerText(), topic);
    await page.getByRole('button', { name: 'Ask the vendor signer' }).click();
    await stepHeading(page, /Step 3/);
    await assertTextIn(page, '.instructions', new RegExp(`topic ${topic.replace(/\./g, '\\.')} and choose Renew`));
    const request = await downloadRequest(page);

    // "Create" instead of "Renew" at Apple: a certificate with a new topic.
    const wrong = await issuePushCertificate(world.pki, request);
    assert.notEqual(wrong.topic, topic);
    await page.getByRole('button', { name: 'I have Apple\'s certificate: continue' }).click();
    await stepHeading(page, /Step 4/);
    await assertTextIn(page, '.step', new RegExp(`must have the topic ${topic.replace(/\./g, '\\.')}`));
    tenant.errors.expect(/status of 422.*\/mdm\/push-cert/);
    await uploadCertificate(page, wrong.cert);

    const danger = page.locator('#topic-danger');
    await danger.waitFor();
    await assertTextIn(page, '#topic-danger', /Danger: this certificate has a different topic/);
    await assertTextIn(page, '#topic-danger', /PUSH_CERT_TOPIC_CHANGED/);
    await assertTextIn(page, '#topic-danger', new RegExp(wrong.topic.replace(/\./g, '\\.')));
    await assertTextIn(page, '#topic-danger', /stops answering pushes/);
    const force = page.getByRole('button', { name: 'Replace anyway (force)' });
    assert.equal(await force.isDisabled(), true, 'replacing needs its own confirmation');
    await assertAccessible(page, 'the topic-change danger');
    await screenshot(page, 'wizard-topic-danger');
    assert.equal((await world.api(tenantKey, 'GET', `/v1/tenants/${tenantId}/mdm/push-cert`)).body.state, 'renewing', 'nothing was imported');

    const dangerText = await danger.innerText();
    assert.equal(dangerText.match(/stops? answering pushes/g)?.length, 1, `the warning is said once, not repeated:\n${dangerText}`);
    await page.getByLabel('I understand: replace the topic, then enroll every device again.').check();
    await force.click();
    await page.locator('#imported-topic').filter({ hasText: wrong.topic }).waitFor();
    await assertTextIn(page, '.alert-success', /replaced: enroll your devices again/);
    await assertTextIn(page, '.alert-success', /PUSH_CERT_TOPIC_REPLACED/);
    topic = wrong.topic;
    tenant.errors.assertNone();
  });

  it('the MPNS credential upload shows the Service Name, how the app uses it, and the checks', async () => {
    const page = tenant.page;
    await openSection(page, 'MPNS credential');
    await page.getByRole('heading', { level: 1, name: /MPNS credential/ }).waitFor();
    const upload = async (identity: { cert: string; key: string }) => {
      await page.getByLabel('PEM certificate and private key').check();
      await page.getByLabel('Certificate (PEM, with any intermediates)').setInputFiles({ name: 'service.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(identity.cert) });
      await page.getByLabel('Private key (PEM)').setInputFiles({ name: 'service.key', mimeType: 'application/x-pem-file', buffer: Buffer.from(identity.key) });
      await page.getByRole('button', { name: 'Upload and check' }).click();
    };

    // A TLS server certificate cannot authenticate a web service: the checks' findings say why.
    tenant.errors.expect(/status of 422.*\/mpns\/credential/);
    await upload(world.pki.server);
    await assertTextIn(page, '.alert-error', /MPNS_CREDENTIAL_REJECTED/);
    await assertTextIn(page, '.alert-error .finding-error', /MPNS_NO_CLIENT_AUTH/);
    await assertAccessible(page, 'a rejected MPNS credential');
    await screenshot(page, 'mpns-credential-rejected');

    await upload(world.pki.mpnsClient);
    await page.locator('#service-name').filter({ hasText: 'certpush-test-service' }).waitFor();
    assert.equal(await page.getByLabel('How the app opens its channel').inputValue(), 'new HttpNotificationChannel(channelName, "certpush-test-service")');
    await page.getByRole('heading', { name: 'Checks', exact: true }).waitFor();
    await assertAccessible(page, 'the MPNS credential');
    await screenshot(page, 'mpns-credential');
    tenant.errors.assertNone();
  });

  it('devices are searchable and paged, with long tokens truncated and the full value a click away', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i, 'c'), pushMagic: `magic-${i}` }));
    lines.push(JSON.stringify({ platform: 'mpns', channelUri: world.mpns.channelUri('console-1', { authenticated: true }) }));
    const imported = await world.api(tenantKey, 'POST', `/v1/tenants/${tenantId}/devices:import`, lines.join('\n'), { 'content-type': 'application/x-ndjson' });
    assert.equal(imported.status, 200, JSON.stringify(imported.body));

    const page = tenant.page;
    await openSection(page, 'Devices');
    const rows = page.locator('table.devices tbody tr');
    await page.getByText(/Showing 1–25 · 61 registered/).waitFor();
    assert.equal(await rows.count(), 25);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText(/Showing 26–50/).waitFor();
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText(/Showing 1–25/).waitFor();

    const wanted = deviceToken(42, 'c');
    await page.getByLabel('Search').fill(wanted.slice(-10));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/Showing 1–1 \(last page\)/).waitFor();
    await rows.first().locator('summary').click();
    assert.equal(await rows.first().locator('.full-value').innerText(), wanted);
    await assertAccessible(page, 'the devices page');
    await assertFitsPhone(page, 'the devices page', 'devices-phone');
    tenant.errors.assertNone();
  });

  it('a test push to all devices is followed live on its report until every delivery finished', async () => {
    const gone = [deviceToken(5, 'c'), deviceToken(6, 'c')];
    for (const token of gone) world.apns.setDevice(token, 'unregistered');

    const page = tenant.page;
    await openSection(page, 'Send a test push');
    await page.getByLabel('All devices (61 active)').check();
    assert.equal(await page.getByLabel('MDM wake-up: enrolled devices check in with the MDM server').isChecked(), true);
    await page.getByLabel('MPNS toast (Windows Phone)').check();
    await page.getByLabel('Toast title').fill('Console test');
    await assertAccessible(page, 'the send page');
    await screenshot(page, 'send-push');
    // APNs answers slowly this time, so the report is seen running before it completes.
    world.apns.setFaults({ slowResponseMs: 2000 });
    await page.getByRole('button', { name: 'Send' }).click();

    await page.getByRole('heading', { level: 1, name: /Delivery report/ }).waitFor();
    await assertTextIn(page, '.report-state[data-complete="false"]', /Refreshing every second/);
    await page.locator('.report-state[data-complete="true"]').waitFor({ timeout: 30_000 });
    world.apns.setFaults({});
    const count = (outcome: string) => page.locator(`[data-outcome="${outcome}"] dd`).innerText();
    assert.equal(await count('delivered'), '59');
    assert.equal(await count('invalid'), '2');
    assert.equal(await count('pending'), '0');
    assert.ok(await page.locator('svg.chart rect.chart-bar').count() >= 1, 'the chart shows deliveries');
    await assertTextIn(page, 'figcaption', /59 delivered over \d+ seconds?/);
    assert.ok(world.mpns.notifications.some((n) => n.token === 'console-1'), 'the MPNS toast arrived');
    await assertAccessible(page, 'the delivery report');
    const progress = page.locator('#report-progress');
    assert.equal(await progress.getAttribute('value'), await progress.getAttribute('max'), 'complete: the bar is full');
    const [barBox, cardBox] = await Promise.all([progress.boundingBox(), page.locator('main .card').first().boundingBox()]);
    assert.ok(barBox!.width >= cardBox!.width * 0.95, `the full bar spans the report (${barBox!.width} px of ${cardBox!.width} px)`);
    await screenshot(page, 'delivery-report');
    await assertFitsPhone(page, 'the delivery report', 'delivery-report-phone');

    // The devices APNs called gone now show as invalid, since when, and why.
    await openSection(page, 'Devices');
    await page.getByLabel('Status').selectOption('invalid');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/Showing 1–2 \(last page\)/).waitFor();
    await assertTextIn(page, 'table.devices', /invalid since/);
    await assertTextIn(page, 'table.devices', /Unregistered/);
    await screenshot(page, 'devices-invalid');
    tenant.errors.assertNone();
  });

  it('a test push to one device starts from its row on the devices page', async () => {
    const page = tenant.page;
    await page.getByLabel('Status').selectOption('active');
    await page.getByLabel('Search').fill(deviceToken(7, 'c').slice(-10));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/Showing 1–1 \(last page\)/).waitFor();
    await page.locator('table.devices tbody tr').first().getByRole('link', { name: /Send test push to MDM device/ }).click();
    assert.equal(await page.getByLabel('One device').isChecked(), true);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.report-state[data-complete="true"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-outcome="delivered"] dd').innerText(), '1');
    // At phone width a small report is a short page: outcomes, chart and the device's card.
    await assertFitsPhone(page, 'a one-device report', 'delivery-report-one-phone', { maxHeight: 1900 });
    assert.equal(world.apns.log.forToken(deviceToken(7, 'c')).length, 2, 'the device got the push to all and this one');
    tenant.errors.assertNone();
    operator.errors.assertNone();
  });

  it('a report past the retention window keeps its counts and says the per-device results expired', async () => {
    const page = tenant.page;
    const pass = await runRetention(world.service.ctx.store, { holder: 'console-test', retentionMs: 7 * DAY, now: Date.now() + 8 * DAY });
    assert.ok(pass.deleted >= 62, `retention folded ${pass.deleted} rows`);
    await page.reload();
    await page.locator('[data-detail-expired]').filter({ hasText: /Per-device results expired on .* the outcome counts above are kept/ }).waitFor();
    assert.equal(await page.locator('[data-outcome="delivered"] dd').innerText(), '1');
    await assertAccessible(page, 'an expired delivery report');
    tenant.errors.assertNone();
  });
});

/** A tab of the tenant's section menu. */
async function openSection(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Tenant' }).getByRole('link', { name, exact: true }).click();
}

async function assertTextIn(page: Page, selector: string, pattern: RegExp): Promise<void> {
  await page.locator(selector).filter({ hasText: pattern }).first().waitFor();
}
