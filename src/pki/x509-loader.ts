// @peculiar/x509 (with asn1js, tsyringe and reflect-metadata) is ~4 MB of heap and ~15 MB of
// RSS once loaded. certpush reads certificates and CSRs with its own DER walk, so the library
// is needed only to *make* them — a tenant's CSR, the test PKI's certificates — and is loaded
// then (README: Design, "Modules loaded when used"). Every caller is already async.
let loading: Promise<typeof import('./x509.ts')> | undefined;

/** The x509 module, imported on the first call. */
export function loadX509(): Promise<typeof import('./x509.ts')> {
  loading ??= import('./x509.ts');
  return loading;
}
