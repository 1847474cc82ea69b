import type { Updateable } from 'kysely';
import type { MdmCertRecord } from '../mdm-certs.ts';
import type { MpnsCredentialRecord } from '../mpns-credentials.ts';
import type { MdmCertTable } from '../schema.ts';

/**
 * Role: each tenant's MDM push certificate (and, while renewing, the pending key, CSR and
 * signed request). Keys are stored sealed; this role never sees them in the clear.
 * Implemented by `mdmCertsRepository` (src/store/mdm-certs.ts).
 */
export interface MdmCertStore {
  get(tenantId: string): Promise<MdmCertRecord | undefined>;
  /** Create or change the tenant's one record; fields left out keep their value. */
  upsert(tenantId: string, values: Omit<Updateable<MdmCertTable>, 'tenantId'>, now?: number): Promise<void>;
  /**
   * Move the expiry-warning mark from `from` to `to` unless another worker did first: true
   * when this call did, and so sends the warning.
   */
  markWarned(tenantId: string, from: string, to: string): Promise<boolean>;
  list(): Promise<MdmCertRecord[]>;
}

/** Role: each tenant's MPNS web service credential. Implemented by `mpnsCredentialsRepository`. */
export interface MpnsCredentialStore {
  get(tenantId: string): Promise<MpnsCredentialRecord | undefined>;
  /** Install or replace the tenant's credential. */
  put(record: MpnsCredentialRecord): Promise<void>;
  /** As MdmCertStore.markWarned. */
  markWarned(tenantId: string, from: string, to: string): Promise<boolean>;
  list(): Promise<MpnsCredentialRecord[]>;
}

/** The part of the store that holds the tenants' push credentials. */
export interface CredentialsRole {
  readonly mdmCerts: MdmCertStore;
  readonly mpnsCredentials: MpnsCredentialStore;
}
