import type { ServiceConfig } from '../config.ts';
import type { Certificate } from '../pki/certificate.ts';
import type { SecretBox } from '../store/secret-box.ts';
import type { Store } from '../store/store.ts';

/** Who is acting: recorded in the audit log. */
export interface Actor {
  kind: 'operator' | 'tenant' | 'cli' | 'system';
  /** The API key id, when the actor authenticated with one. */
  keyId?: string;
}

export function actorName(actor: Actor): string {
  return actor.keyId ? `${actor.kind}:${actor.keyId}` : actor.kind;
}

/** A signer as the service sees it (src/signer/client.ts implements it over HTTP). */
export interface Signer {
  sign(csrPem: string): Promise<{ request: string; warnings: Array<{ code: string; message: string }> }>;
  /** The vendor MDM signing certificate's subject and expiry. */
  vendorCertificate(): Promise<{ subject: string; notAfter: string; daysLeft: number }>;
}

/**
 * What a use-case is given: storage, sealing, settings, the optional signer, trust anchors and
 * the clock. `S` is the part of the store it uses — a composition of the role interfaces in
 * src/store/roles/ (`ServiceContext<TenantsRole & AuditRole>`) — so a use-case's signature says
 * which tables it can touch, and a test or another back end supplies only those roles. The
 * server and the CLI build one context over the whole `Store` and pass it to every use-case.
 */
export interface ServiceContext<S = Store> {
  /** The roles of the store this use-case works with. */
  store: S;
  /** Seals and opens secrets at rest (private keys, webhook secrets) with the master key. */
  secrets: SecretBox;
  config: ServiceConfig;
  /** The vendor signer, when one is configured (CERTPUSH_SIGNER_URL); null otherwise. */
  signer: Signer | null;
  /** Extra trusted CAs for outbound TLS (simulators, an internal signer). */
  extraCa: Certificate[];
  /** The root uploaded push certificate requests must chain to, replacing Apple's built-in roots (simulators, a test PKI). */
  appleRoot: Certificate | null;
  /** Roots an MPNS credential must chain to; empty: the chain is not checked against roots. */
  mpnsRoots: Certificate[];
  /** The time: tests pass a fixed clock. */
  now(): Date;
  /** Called when a tenant's credentials change, so delivery rebuilds its clients. */
  onCredentialChange?(tenantId: string): void;
}
