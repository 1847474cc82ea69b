import { type Certificate, isSignedBy, validityAt } from './certificate.ts';
import { error, type Finding, warning } from './finding.ts';

/**
 * The certificate in `candidates` that issued `cert`: matched by authority/subject key
 * identifier when both are present, else by name, and always confirmed by the signature.
 */
export function findIssuer(cert: Certificate, candidates: readonly Certificate[]): Certificate | null {
  const byName = candidates.filter((c) => c.subject.text === cert.issuer.text && c.fingerprintSha256 !== cert.fingerprintSha256);
  const byKeyId = cert.authorityKeyId ? byName.filter((c) => c.subjectKeyId === cert.authorityKeyId) : [];
  for (const candidate of [...byKeyId, ...byName]) {
    if (isSignedBy(cert, candidate)) return candidate;
  }
  return null;
}

/**
 * Order a leaf and an unordered pool into leaf → intermediates → root, stopping at a
 * self-issued certificate or when no issuer is in the pool. Certificates of the pool that
 * are not on the path are left out.
 */
export function buildChain(leaf: Certificate, pool: readonly Certificate[]): Certificate[] {
  const chain = [leaf];
  const seen = new Set([leaf.fingerprintSha256]);
  for (let cert = leaf; !cert.selfIssued;) {
    const issuer = findIssuer(cert, pool);
    if (!issuer || seen.has(issuer.fingerprintSha256)) break;
    chain.push(issuer);
    seen.add(issuer.fingerprintSha256);
    cert = issuer;
  }
  return chain;
}

export interface ChainCheckOptions {
  /** Trust anchors: the chain must end at (or be issued by) one of these. */
  anchors: readonly Certificate[];
  /** When to judge validity. Default: now. */
  at?: Date;
  /** Words for the certificates by position, for messages ("vendor certificate", …). */
  roles?: readonly string[];
}

/**
 * Check an ordered chain (leaf first): each certificate issued and signed by the next, all
 * valid at `at`, every issuer a CA allowed to sign certificates, path length constraints
 * respected, and the last one a trust anchor or issued by one. Returns every problem found.
 */
export function verifyChain(chain: readonly Certificate[], options: ChainCheckOptions): Finding[] {
  const at = options.at ?? new Date();
  const role = (i: number) => options.roles?.[i] ?? (i === 0 ? 'leaf certificate' : `certificate ${i + 1}`);
  const describe = (i: number) => `${role(i)} (${chain[i]!.subject.text})`;
  const findings: Finding[] = [];
  if (chain.length === 0) return [error('CHAIN_EMPTY', 'The certificate chain is empty: include the leaf, the intermediate and the root certificates.')];

  chain.forEach((cert, i) => {
    const validity = validityAt(cert, at);
    if (validity === 'expired') findings.push(error('CERT_EXPIRED', `The ${describe(i)} expired on ${cert.notAfter.toISOString()}. Renew it and use the new certificate.`));
    if (validity === 'not-yet-valid') findings.push(error('CERT_NOT_YET_VALID', `The ${describe(i)} is not valid until ${cert.notBefore.toISOString()}. Check the system clock, or wait.`));
  });

  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i]!;
    const next = chain[i + 1]!;
    if (next.subject.text === cert.issuer.text && isSignedBy(cert, next)) {
      if (!next.isCa) findings.push(error('CHAIN_ISSUER_NOT_CA', `The ${describe(i + 1)} issued the ${role(i)} but is not a CA (basicConstraints cA is not set).`));
      else if (next.keyUsage.length > 0 && !next.keyUsage.includes('keyCertSign')) findings.push(error('CHAIN_ISSUER_NOT_CA', `The ${describe(i + 1)} may not sign certificates (keyUsage lacks keyCertSign).`));
      // pathLenConstraint counts the non-self-issued intermediates below this CA.
      if (next.pathLength !== null && i > next.pathLength) findings.push(error('CHAIN_PATH_LENGTH', `The ${describe(i + 1)} allows at most ${next.pathLength} intermediate(s) below it, but the chain has ${i}.`));
      continue;
    }
    const realIssuer = chain.findIndex((c) => c !== cert && c.subject.text === cert.issuer.text && isSignedBy(cert, c));
    if (realIssuer >= 0) {
      findings.push(error('CHAIN_WRONG_ORDER', `The chain is in the wrong order: the ${role(i)} was issued by ${describe(realIssuer)}, which must come right after it. Order it leaf → intermediate → root.`));
    } else if (next.subject.text === cert.issuer.text) {
      findings.push(error('CHAIN_BAD_SIGNATURE', `The ${describe(i)} names ${next.subject.text} as its issuer, but that certificate's key did not sign it. One of the two is not the genuine certificate.`));
    } else {
      findings.push(error('CHAIN_INCOMPLETE', `The chain is broken after the ${describe(i)}: it was issued by "${cert.issuer.text}", but the next certificate is "${next.subject.text}". Add the missing intermediate certificate.`));
    }
  }

  const last = chain[chain.length - 1]!;
  const isAnchor = options.anchors.some((a) => a.fingerprintSha256 === last.fingerprintSha256);
  if (!isAnchor) {
    const issuedByAnchor = options.anchors.some((a) => a.subject.text === last.issuer.text && isSignedBy(last, a));
    if (last.selfIssued) {
      findings.push(error('CHAIN_UNTRUSTED_ROOT', `The chain ends at "${last.subject.text}", which is not the expected root certificate. Use the root certificate you were given (for MDM: Apple Inc. Root).`));
    } else if (!issuedByAnchor) {
      findings.push(error('CHAIN_INCOMPLETE', `The chain ends at ${describe(chain.length - 1)}, issued by "${last.issuer.text}", which is neither included nor a trusted root. Add the missing intermediate and root certificates.`));
    } else {
      findings.push(warning('CHAIN_ROOT_MISSING', 'The chain does not include its root certificate; append it.'));
    }
  }
  return findings;
}
