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

/** What every use-case needs: storage, sealing, settings, and the optional signer. */
export interface ServiceContext {
  store: Store;
  secrets: SecretBox;
  config: ServiceConfig;
  signer: Signer | null;
  /** Extra trusted CAs for outbound TLS (simulators, an internal signer). */
  extraCa: Certificate[];
  /** The root uploaded push certificate requests must chain to, replacing Apple's built-in roots (simulators, a test PKI). */
  appleRoot: Certificate | null;
  /** Roots an MPNS credential must chain to; empty: the chain is not checked against roots. */
  mpnsRoots: Certificate[];
  now(): Date;
  /** Called when a tenant's credentials change, so delivery rebuilds its clients. */
  onCredentialChange?(tenantId: string): void;
}
