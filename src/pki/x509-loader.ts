// @peculiar/x509 (with asn1js, tsyringe and reflect-metadata) is ~4 MB of heap and ~15 MB of
// RSS once loaded. certpush reads certificates and CSRs, and writes CSRs, with its own DER code,
// so the library is needed only to issue certificates — the test PKI, the simulators, the
// portal stand-in — and to verify a CSR signature Node's one-shot verify cannot (RSA-PSS), and
// is loaded then (README: Design, "Modules loaded when used"). Both callers are async already.
let loading: Promise<typeof import('./x509.ts')> | undefined;

/** The x509 module, imported on the first call. */
export function loadX509(): Promise<typeof import('./x509.ts')> {
  loading ??= import('./x509.ts');
  return loading;
}
