import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import * as certpush from '../src/index.ts';

// The library surface is a decision, not a side effect: these lists are what `import … from
// 'certpush'` offers. Adding or removing an export means changing them here, and README's
// Library section with them.

const ROOT_VALUES = [
  'APNS_ENVIRONMENT_OIDS', 'ApnsClient', 'CHECKIN_TYPES', 'CertpushError', 'ChannelUriGuard', 'DEFAULT_RSA_BITS', 'ERROR_CATALOGUE', 'FindingsError', 'MAX_CHECKIN_BYTES',
  'MDM_TOPIC_PREFIX', 'MpnsSender', 'REQUEST_KEYS', 'REQUIRED_CSR_KEY_BITS', 'TEST_MPNS_SERVICE_NAME', 'VENDOR_EXPIRY_WARNING_DAYS', 'apns', 'appleCas',
  'appleIssuerOf', 'appleRoots', 'appleVendorChain', 'appleWwdrCas', 'buildChain', 'certificateToPem', 'checkMpnsCredential', 'checkPushCertificateImport',
  'checkVendorIdentity', 'createCsr', 'createSignerClient', 'createTestPki', 'csrToPem', 'daysLeft', 'describeCertificate', 'describeKey', 'enrollmentIdOf',
  'findIssuer', 'formatFindings', 'generateRsaKey', 'hasErrors', 'httpStatusOf', 'identityToTls', 'inspectFile', 'isCertpushError', 'isErrorCode', 'isSignedBy', 'issueCertificate',
  'issueMdmPushCertificate', 'issuePushCertificate', 'issueTestCertificate', 'keyMatchesSpki', 'loadIdentity', 'looksLikePem', 'looksLikePkcs12', 'mpns',
  'mpnsSimulatorTls', 'nameField', 'parseCertificate', 'parseCertificateDer', 'parseCertificates', 'parseCheckinMessage', 'parseCheckinWebhook', 'parseCsr',
  'parsePem', 'parsePrivateKey', 'privateKeyToPem', 'readPkcs12', 'readTestPki', 'readUploadedPushCertificate', 'resolveVendorChain', 'signPushCertRequest',
  'spkiOf', 'startApnsSimulator', 'startMpnsSimulator', 'startSignerServer', 'toPem', 'validityAt', 'verifyChain', 'verifyCsrSignature', 'verifyPushCertRequest',
  'verifyWebhookSignature', 'writeTestPki',
];

const ROOT_TYPES = [
  'ApnsClientOptions', 'ApnsEnvironment', 'ApnsSimulator', 'ApnsSimulatorOptions', 'AppleCa', 'AppleCaRole', 'AppleIssuer', 'CatalogueEntry', 'Certificate', 'ChainCheckOptions',
  'CheckinMessage', 'CheckinWebhookEvent', 'Csr', 'CsrSubject', 'DistinguishedName', 'ErrorCode', 'Finding', 'Identity', 'IdentitySource', 'ImportCandidate', 'ImportContext',
  'ImportDecision', 'InspectedItem', 'IssueOptions', 'KeyInfo', 'MpnsSenderOptions', 'MpnsSimulator', 'MpnsSimulatorOptions', 'NameField', 'PemBlock',
  'PemIdentity', 'Pkcs12Contents', 'PortalResult', 'SignInput', 'SignedRequest', 'SignerClient', 'SignerClientOptions', 'SignerServer', 'SignerServerOptions',
  'TestPki', 'VendorChain', 'VerifyOptions', 'VerifyReport', 'WebhookFormat',
];

const APNS_VALUES = [
  'APNS_HOSTS', 'APNS_ID_PATTERN', 'APNS_PORTS', 'APNS_REASONS', 'ApnsClient', 'DEFAULT_BACKOFF', 'DEFAULT_RECONNECT_BACKOFF', 'DEVICE_TOKEN_PATTERN', 'JwtSigner',
  'LOCAL_REASONS', 'MAX_COLLAPSE_ID_BYTES', 'MAX_PAYLOAD_BYTES', 'MAX_VOIP_PAYLOAD_BYTES', 'MDM_DEFAULT_EXPIRATION_SECONDS', 'MDM_PRIORITY', 'PRIORITIES',
  'PUSH_TYPES', 'TOKEN_MAX_AGE_MS', 'TOKEN_MIN_AGE_MS', 'TOKEN_REFRESH_MS', 'TOPIC_PATTERN', 'backoffDelay', 'classify', 'isApnsReason', 'maxPayloadBytes',
  'mdmNotification', 'resolveEndpoint',
];

const APNS_TYPES = [
  'Accepted', 'ApnsClientOptions', 'ApnsReason', 'BackoffPolicy', 'Endpoint', 'Failed', 'JwtSignerOptions', 'Notification', 'Outcome', 'OutcomeClass', 'Priority',
  'PushType', 'ReasonInfo', 'SendSummary', 'TokenCredential', 'TransportName',
];

const MPNS_VALUES = [
  'CHANNEL_PATHS', 'CLEAR_ACTION', 'ChannelUriGuard', 'DEFAULT_ALLOWED_HOSTS', 'DEFAULT_CONCURRENCY', 'DEFAULT_MAX_SOCKETS', 'DEFAULT_TIMEOUT_MS',
  'DELIVERY_INTERVALS', 'DEVICE_CONNECTION_STATUS', 'DEVICE_INACTIVE_RETRY_MS', 'DailyQuota', 'EXPIRY_WARNING_DAYS', 'MAX_BACKOFF_MS', 'MAX_CHANNEL_URI_LENGTH',
  'MAX_CYCLE_IMAGES', 'MAX_PAYLOAD_BYTES', 'MPNS_HOST_PATTERN', 'MemoryQuotaStore', 'MpnsSender', 'NOTIFICATION_CLASSES', 'NOTIFICATION_STATUS',
  'SUBSCRIPTION_STATUS', 'THROTTLE_RETRY_MS', 'TILE_ELEMENTS', 'TILE_TEMPLATES', 'TOAST_ELEMENTS', 'UNAUTHENTICATED_DAILY_LIMIT', 'WINDOWS_PHONE_TARGETS',
  'WP8_NOTIFICATION_VERSION', 'WP_NAMESPACE', 'checkChannelUri', 'checkMpnsCredential', 'minuteBackoffMs', 'nextUtcMidnight', 'notificationClass',
  'parseDeliveryInterval', 'parseTile', 'tileXml', 'toastXml', 'utcDay',
];

const MPNS_TYPES = [
  'CycleTile', 'DeliveryInterval', 'FlipTile', 'IconicTile', 'LegacyTile', 'MpnsCredentialReport', 'MpnsNotification', 'MpnsReason', 'MpnsResponseStatus',
  'MpnsResult', 'MpnsSendOptions', 'MpnsSenderOptions', 'NotificationKind', 'OutcomeClass', 'QuotaDecision', 'QuotaStore', 'RawNotification', 'Tile',
  'TileProperty', 'TileTemplate', 'Toast',
];

/** Helpers the modules share among themselves: public by accident while src/index.ts used `export *`. */
const INTERNALS = {
  root: ['readTlv', 'firstElementOfSequence', 'Tlv', 'error', 'warning', 'readName', 'buildName', 'NAME_OIDS', 'pemOrDer', 'pemLineProblems', 'checkIterations', 'x509', 'createStore', 'openStore'],
  apns: ['APNS_HEADERS', 'DEVICE_PATH_PREFIX', 'failureFromResponse', 'localRejection', 'prepareNotification', 'PreparedRequest'],
  mpns: ['MPNS_HEADERS', 'notificationHeaders', 'outcomeFromError', 'outcomeFromResponse', 'escapeXmlText', 'escapeXmlAttribute', 'payloadBody', 'rawBody', 'formatUtc'],
};

const src = path.join(import.meta.dirname, '..', 'src');
const INDEX_FILES = { root: path.join(src, 'index.ts'), apns: path.join(src, 'apns', 'index.ts'), mpns: path.join(src, 'mpns', 'index.ts') };

/** Every name each index file exports, values and types, as TypeScript sees it (one program for all three). */
function exportedNames(): Record<keyof typeof INDEX_FILES, { values: string[]; types: string[] }> {
  const program = ts.createProgram(Object.values(INDEX_FILES), {
    allowImportingTsExtensions: true, noEmit: true, strict: true, skipLibCheck: true,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
  });
  const checker = program.getTypeChecker();
  const names = (file: string) => {
    const values: string[] = [];
    const types: string[] = [];
    for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      (target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.name);
    }
    return { values: values.sort(), types: types.sort() };
  };
  return { root: names(INDEX_FILES.root), apns: names(INDEX_FILES.apns), mpns: names(INDEX_FILES.mpns) };
}

const sorted = (names: string[]) => [...names].sort();

describe('the library surface', () => {
  it('exports exactly the pinned values at run time', () => {
    assert.deepEqual(Object.keys(certpush).sort(), sorted(ROOT_VALUES));
    assert.deepEqual(Object.keys(certpush.apns).sort(), sorted(APNS_VALUES));
    assert.deepEqual(Object.keys(certpush.mpns).sort(), sorted(MPNS_VALUES));
  });

  it('declares exactly the pinned values and types, for the root and both namespaces', () => {
    assert.deepEqual(exportedNames(), {
      root: { values: sorted(ROOT_VALUES), types: sorted(ROOT_TYPES) },
      apns: { values: sorted(APNS_VALUES), types: sorted(APNS_TYPES) },
      mpns: { values: sorted(MPNS_VALUES), types: sorted(MPNS_TYPES) },
    });
  });

  it('keeps the modules\' shared helpers internal', () => {
    const root = new Set([...ROOT_VALUES, ...ROOT_TYPES]);
    const apns = new Set([...APNS_VALUES, ...APNS_TYPES]);
    const mpns = new Set([...MPNS_VALUES, ...MPNS_TYPES]);
    for (const name of INTERNALS.root) assert.ok(!root.has(name) && !(name in certpush), `${name} is not exported`);
    for (const name of INTERNALS.apns) assert.ok(!apns.has(name) && !(name in certpush.apns), `apns.${name} is not exported`);
    for (const name of INTERNALS.mpns) assert.ok(!mpns.has(name) && !(name in certpush.mpns), `mpns.${name} is not exported`);
  });

  it('names every export: no `export *` in the index files', () => {
    for (const file of Object.values(INDEX_FILES)) {
      assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /^export \*/m, `${path.relative(src, file)} lists its exports by name`);
    }
  });

  it('is listed in README\'s Library section, every value and type', () => {
    const readme = fs.readFileSync(path.join(src, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Library\n'), readme.indexOf('\n## ', readme.indexOf('\n## Library\n') + 1));
    const named = new Set([...section.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]));
    const missing = [...ROOT_VALUES, ...ROOT_TYPES].filter((name) => !named.has(name));
    assert.deepEqual(missing, [], 'README.md "## Library" names each export in backticks');
  });
});
