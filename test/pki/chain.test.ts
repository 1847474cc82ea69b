import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { type Certificate, certificateToPem, parseCertificate } from '../../src/pki/certificate.ts';
import { buildChain, findIssuer, verifyChain } from '../../src/pki/chain.ts';
import { hasErrors } from '../../src/pki/finding.ts';
import { issueCertificate, type IssueOptions } from '../../src/pki/issue.ts';
import { generateRsaKey } from '../../src/pki/key.ts';
import { opensslStatus, tempDir, testPki } from '../fixtures/pki.ts';

const DAY = 86_400_000;
const dir = tempDir();
const now = Date.now();
const notBefore = new Date(now - DAY);
const notAfter = new Date(now + 365 * DAY);

interface Issued { certificate: Certificate; privateKey: KeyObject }

async function issue(subjectCn: string, issuer: Issued | null, options: Partial<IssueOptions> & { key?: KeyObject } = {}): Promise<Issued> {
  const privateKey = options.key ?? generateRsaKey();
  const certificate = await issueCertificate({
    subject: { CN: subjectCn, O: 'certpush chain test' },
    publicKey: privateKey,
    ...(issuer ? { issuer } : { selfSigningKey: privateKey }),
    notBefore,
    notAfter,
    ...options,
  });
  return { certificate, privateKey };
}

const ca: Partial<IssueOptions> = { isCa: true, keyUsage: ['keyCertSign', 'cRLSign'] };
let root: Issued;
let otherRoot: Issued;
/** Two intermediates with the same subject name under the same root, with different keys. */
let interA: Issued;
let interB: Issued;
let leafA: Issued;
let leafB: Issued;
let expiredLeaf: Issued;
let notYetValidLeaf: Issued;
/** An end-entity certificate issued by the root, and one it (wrongly) issued. */
let rootLeaf: Issued;
let leafUnderLeaf: Issued;
let signOnlyCa: Issued;
let leafUnderSignOnlyCa: Issued;
let subInter: Issued;
let leafUnderSubInter: Issued;

before(async () => {
  const leafKey = generateRsaKey();
  root = await issue('certpush chain test Root', null, ca);
  otherRoot = await issue('certpush chain test Root', null, ca); // same name, other key
  interA = await issue('certpush chain test Issuing CA', root, { ...ca, pathLength: 0 });
  interB = await issue('certpush chain test Issuing CA', root, { ...ca, pathLength: 0 });
  leafA = await issue('leaf A', interA, { key: leafKey });
  leafB = await issue('leaf B', interB, { key: leafKey });
  expiredLeaf = await issue('expired leaf', interA, { key: leafKey, notBefore: new Date(now - 30 * DAY), notAfter: new Date(now - DAY) });
  notYetValidLeaf = await issue('future leaf', interA, { key: leafKey, notBefore: new Date(now + DAY), notAfter: new Date(now + 30 * DAY) });
  rootLeaf = await issue('end entity under the root', root);
  leafUnderLeaf = await issue('issued by an end entity', rootLeaf, { key: leafKey });
  signOnlyCa = await issue('CA without keyCertSign', root, { isCa: true, keyUsage: ['digitalSignature'] });
  leafUnderSignOnlyCa = await issue('leaf under sign-only CA', signOnlyCa, { key: leafKey });
  subInter = await issue('sub-intermediate', interA, { ...ca, key: leafKey });
  leafUnderSubInter = await issue('leaf under sub-intermediate', subInter, { key: leafKey });
});

const fingerprints = (chain: readonly Certificate[]) => chain.map((c) => c.fingerprintSha256);
const codes = (chain: readonly Certificate[], anchors: readonly Certificate[] = [root.certificate]) =>
  verifyChain(chain, { anchors }).map((f) => f.code);

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('buildChain', () => {
  it('orders a shuffled pool leaf → intermediate → root, whatever the pool order', async () => {
    const pki = await testPki();
    const vendor = parseCertificate(pki.vendor.cert);
    const pool = [pki.appleRoot.cert, pki.wwdr.cert, pki.pushCa.cert, pki.serverCa.cert].map((p) => parseCertificate(p));
    const expected = fingerprints([vendor, pool[1]!, pool[0]!]);
    for (const shuffled of permutations(pool)) {
      assert.deepEqual(fingerprints(buildChain(vendor, shuffled)), expected);
    }
  });

  it('picks the intermediate that issued the leaf among two with the same subject name', () => {
    assert.equal(interA.certificate.subject.text, interB.certificate.subject.text);
    assert.notEqual(interA.certificate.subjectKeyId, interB.certificate.subjectKeyId);
    for (const pool of permutations([interA.certificate, interB.certificate, root.certificate])) {
      assert.deepEqual(fingerprints(buildChain(leafA.certificate, pool)), fingerprints([leafA.certificate, interA.certificate, root.certificate]));
      assert.deepEqual(fingerprints(buildChain(leafB.certificate, pool)), fingerprints([leafB.certificate, interB.certificate, root.certificate]));
    }
  });

  it('builds a chain openssl verify accepts when given the whole pool', () => {
    const chain = buildChain(leafB.certificate, [interA.certificate, interB.certificate, root.certificate]);
    assert.equal(opensslVerifies(chain, root.certificate), true);
  });

  it('stops at the leaf when the pool holds only a same-name intermediate with another key', () => {
    assert.deepEqual(fingerprints(buildChain(leafA.certificate, [interB.certificate])), fingerprints([leafA.certificate]));
  });

  it('stops at a self-issued root', () => {
    assert.deepEqual(fingerprints(buildChain(root.certificate, [interA.certificate, otherRoot.certificate])), fingerprints([root.certificate]));
  });

  it('leaves out a same-name root with another key', () => {
    const chain = buildChain(leafA.certificate, [otherRoot.certificate, interA.certificate, root.certificate]);
    assert.deepEqual(fingerprints(chain), fingerprints([leafA.certificate, interA.certificate, root.certificate]));
  });
});

describe('findIssuer', () => {
  it('finds the issuer by key identifier and signature', () => {
    assert.equal(findIssuer(leafB.certificate, [interA.certificate, interB.certificate]), interB.certificate);
  });

  it('returns null when no candidate signed the certificate', () => {
    assert.equal(findIssuer(leafA.certificate, [interB.certificate, root.certificate]), null);
  });
});

describe('verifyChain', () => {
  it('finds nothing wrong with a valid chain ending at the anchor', () => {
    assert.deepEqual(verifyChain([leafA.certificate, interA.certificate, root.certificate], { anchors: [root.certificate] }), []);
  });

  it('only warns when the chain stops below the anchor that issued it', () => {
    const findings = verifyChain([leafA.certificate, interA.certificate], { anchors: [root.certificate] });
    assert.deepEqual(findings.map((f) => [f.code, f.severity]), [['CHAIN_ROOT_MISSING', 'warning']]);
    assert.equal(hasErrors(findings), false);
  });

  it('reports a chain in the wrong order as CHAIN_WRONG_ORDER', () => {
    assert.ok(codes([leafA.certificate, root.certificate, interA.certificate]).includes('CHAIN_WRONG_ORDER'));
  });

  it('reports a missing intermediate as CHAIN_INCOMPLETE', () => {
    assert.deepEqual(codes([leafA.certificate, root.certificate]), ['CHAIN_INCOMPLETE']);
  });

  it('reports a chain of only the leaf, without its issuers, as CHAIN_INCOMPLETE', () => {
    assert.deepEqual(codes([leafA.certificate]), ['CHAIN_INCOMPLETE']);
  });

  it('reports the same-name intermediate with the wrong key as CHAIN_BAD_SIGNATURE', () => {
    assert.deepEqual(codes([leafA.certificate, interB.certificate, root.certificate]), ['CHAIN_BAD_SIGNATURE']);
  });

  it('reports an expired member as CERT_EXPIRED', () => {
    assert.deepEqual(codes([expiredLeaf.certificate, interA.certificate, root.certificate]), ['CERT_EXPIRED']);
  });

  it('reports a member that is not yet valid as CERT_NOT_YET_VALID', () => {
    assert.deepEqual(codes([notYetValidLeaf.certificate, interA.certificate, root.certificate]), ['CERT_NOT_YET_VALID']);
  });

  it('judges validity at the given time', () => {
    const at = new Date(now + 400 * DAY);
    const findings = verifyChain([leafA.certificate, interA.certificate, root.certificate], { anchors: [root.certificate], at });
    assert.deepEqual(findings.map((f) => f.code), ['CERT_EXPIRED', 'CERT_EXPIRED', 'CERT_EXPIRED']);
  });

  it('reports an issuer that is not a CA as CHAIN_ISSUER_NOT_CA', () => {
    assert.deepEqual(codes([leafUnderLeaf.certificate, rootLeaf.certificate, root.certificate]), ['CHAIN_ISSUER_NOT_CA']);
  });

  it('reports a CA whose key usage lacks keyCertSign as CHAIN_ISSUER_NOT_CA', () => {
    assert.deepEqual(codes([leafUnderSignOnlyCa.certificate, signOnlyCa.certificate, root.certificate]), ['CHAIN_ISSUER_NOT_CA']);
  });

  it('reports an intermediate below a path-length-0 CA as CHAIN_PATH_LENGTH', () => {
    assert.deepEqual(codes([leafUnderSubInter.certificate, subInter.certificate, interA.certificate, root.certificate]), ['CHAIN_PATH_LENGTH']);
  });

  it('reports a chain ending at another root as CHAIN_UNTRUSTED_ROOT', () => {
    assert.deepEqual(codes([leafA.certificate, interA.certificate, root.certificate], [otherRoot.certificate]), ['CHAIN_UNTRUSTED_ROOT']);
  });

  it('reports an empty chain as CHAIN_EMPTY', () => {
    assert.deepEqual(codes([]), ['CHAIN_EMPTY']);
  });

  it('names certificates by the given roles in its messages', () => {
    const [finding] = verifyChain([expiredLeaf.certificate, interA.certificate, root.certificate], { anchors: [root.certificate], roles: ['vendor certificate'] });
    assert.match(finding!.message, /^The vendor certificate \(CN=expired leaf/);
  });
});

/** `openssl verify -CAfile anchor -untrusted <rest of chain> leaf`: true when it accepts. */
function opensslVerifies(chain: readonly Certificate[], anchor: Certificate): boolean {
  const caseDir = fs.mkdtempSync(path.join(dir, 'verify-'));
  const file = (name: string, certs: readonly Certificate[]) => {
    const p = path.join(caseDir, name);
    fs.writeFileSync(p, certs.map(certificateToPem).join(''));
    return p;
  };
  const args = ['verify', '-CAfile', file('anchor.pem', [anchor])];
  if (chain.length > 1) args.push('-untrusted', file('untrusted.pem', chain.slice(1)));
  args.push(file('leaf.pem', chain.slice(0, 1)));
  return opensslStatus(args).status === 0;
}

describe('verifyChain agrees with openssl verify', () => {
  const cases: Array<[string, () => { chain: Certificate[]; anchor: Certificate }]> = [
    ['a valid chain', () => ({ chain: [leafA.certificate, interA.certificate, root.certificate], anchor: root.certificate })],
    ['a valid chain through the second same-name intermediate', () => ({ chain: [leafB.certificate, interB.certificate, root.certificate], anchor: root.certificate })],
    ['a chain missing its intermediate', () => ({ chain: [leafA.certificate, root.certificate], anchor: root.certificate })],
    ['a chain with the wrong same-name intermediate', () => ({ chain: [leafA.certificate, interB.certificate, root.certificate], anchor: root.certificate })],
    ['a chain with an expired leaf', () => ({ chain: [expiredLeaf.certificate, interA.certificate, root.certificate], anchor: root.certificate })],
    ['a chain with a leaf not yet valid', () => ({ chain: [notYetValidLeaf.certificate, interA.certificate, root.certificate], anchor: root.certificate })],
    ['a chain whose issuer is not a CA', () => ({ chain: [leafUnderLeaf.certificate, rootLeaf.certificate, root.certificate], anchor: root.certificate })],
    ['a chain whose CA may not sign certificates', () => ({ chain: [leafUnderSignOnlyCa.certificate, signOnlyCa.certificate, root.certificate], anchor: root.certificate })],
    ['a chain breaking a path length constraint', () => ({ chain: [leafUnderSubInter.certificate, subInter.certificate, interA.certificate, root.certificate], anchor: root.certificate })],
    ['a chain ending at another root', () => ({ chain: [leafA.certificate, interA.certificate, root.certificate], anchor: otherRoot.certificate })],
  ];
  for (const [name, make] of cases) {
    it(`on ${name}`, () => {
      const { chain, anchor } = make();
      const oursAccepts = !hasErrors(verifyChain(chain, { anchors: [anchor] }));
      assert.equal(oursAccepts, opensslVerifies(chain, anchor));
    });
  }

  it('on at least one valid and one invalid case (the table above is not one-sided)', () => {
    const verdicts = cases.map(([, make]) => { const { chain, anchor } = make(); return opensslVerifies(chain, anchor); });
    assert.ok(verdicts.includes(true) && verdicts.includes(false));
  });
});
