// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect
// metadata polyfill loaded before the library itself: import the library only from here.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);

export { x509 };

/** RSASSA-PKCS1-v1_5 with SHA-256: "SHA256withRSA" in Java's words. */
export const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
