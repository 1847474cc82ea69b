// The certificate toolkit: pure functions over PEM/DER, keys, CSRs, certificates, chains
// and PKCS#12. No I/O: callers read files and pass bytes.
export * from './certificate.ts';
export * from './chain.ts';
export * from './csr.ts';
export * from './finding.ts';
export * from './identity.ts';
export * from './key.ts';
export * from './name.ts';
export * from './pem.ts';
export * from './pkcs12.ts';
export * from './issue.ts';
export * from './inspect.ts';
export * from './der.ts';
