import * as plist from 'plist';
import { XMLValidator } from 'fast-xml-parser';
import { CertpushError } from '../errors.ts';

/** The keys of Apple's Push Certificate Request plist. */
export const REQUEST_KEYS = {
  csr: 'PushCertRequestCSR',
  chain: 'PushCertCertificateChain',
  signature: 'PushCertSignature',
} as const;

/** The three values of a Push Certificate Request, as they appear in the plist. */
export interface RequestFields {
  /** Base64 of the CSR's DER. */
  PushCertRequestCSR: string;
  /** PEM: vendor certificate, WWDR intermediate, Apple root. */
  PushCertCertificateChain: string;
  /** Base64 of SHA256withRSA over the CSR's DER, by the vendor key. */
  PushCertSignature: string;
}

/** The XML plist for the request, built by the plist library (escaping is its job). */
export function buildRequestPlist(fields: RequestFields): string {
  return plist.build({
    [REQUEST_KEYS.csr]: fields.PushCertRequestCSR,
    [REQUEST_KEYS.chain]: fields.PushCertCertificateChain,
    [REQUEST_KEYS.signature]: fields.PushCertSignature,
  });
}

/** What Apple's portal receives: the whole XML plist, Base64-encoded on one line. */
export function encodeRequest(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

const BASE64_TEXT = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** Decode Base64 that may be wrapped in lines; null when it is not Base64. */
export function decodeBase64(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || !BASE64_TEXT.test(text) || compact.length % 4 === 1) return null;
  return Buffer.from(compact, 'base64');
}

/**
 * The XML inside a request. Accepts the Base64 form Apple's portal takes, and (with
 * `wasBase64: false`) a bare XML plist, so that `verify-request` can still explain it.
 */
export function requestXml(input: string | Uint8Array): { xml: string; wasBase64: boolean } {
  const text = (typeof input === 'string' ? input : Buffer.from(input).toString('utf8')).replace(/^\uFEFF/, '').trim();
  if (text.startsWith('<')) return { xml: text, wasBase64: false };
  const bytes = decodeBase64(text);
  if (!bytes) {
    throw new CertpushError('REQUEST_BAD_BASE64', 'The push certificate request is not valid Base64. Use the file certpush mdm vendor-sign wrote, unchanged (no added quotes or characters).');
  }
  return { xml: bytes.toString('utf8'), wasBase64: true };
}

/**
 * The validator's finding in the user's terms. Its message for a document that stops early
 * ("Invalid '[ "plist", "dict", "string"]' found.") lists the elements left open: that is a
 * truncated file (a partial download or copy), and saying so is the useful part.
 */
function xmlProblem(err: { code: string; msg: string; line: number; col: number }, xml: string): string {
  const unclosed = err.code === 'InvalidXml' ? /^Invalid '\[([^\]]*)\]' found\.$/s.exec(err.msg) : null;
  if (unclosed) {
    const open = [...unclosed[1]!.matchAll(/"([^"]+)"/g)].map((m) => `<${m[1]}>`);
    return `The decoded request ends early: ${open.join(', ')} ${open.length === 1 ? 'is' : 'are'} never closed (${xml.length} characters in all). The file looks truncated — copy or download request.b64 again in full, or regenerate it with certpush mdm vendor-sign.`;
  }
  return `The decoded request is not an XML plist (${err.msg} at line ${err.line}, column ${err.col}). Regenerate it with certpush mdm vendor-sign.`;
}

/**
 * Parse the request's XML plist into its raw dictionary. Throws REQUEST_NOT_PLIST with the
 * XML error's line and column for anything that is not a plist dictionary.
 */
export function parseRequestPlist(xml: string): Record<string, unknown> {
  // Validate first: the plist library's XML parser logs to the console and forgives too much.
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: true });
  if (valid !== true) throw new CertpushError('REQUEST_NOT_PLIST', xmlProblem(valid.err, xml));
  let parsed: unknown;
  try {
    parsed = plist.parse(xml);
  } catch (error) {
    throw new CertpushError('REQUEST_NOT_PLIST', `The decoded request is not a property list (${(error as Error).message}). Regenerate it with certpush mdm vendor-sign.`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || parsed instanceof Date || Buffer.isBuffer(parsed)) {
    throw new CertpushError('REQUEST_NOT_PLIST', 'The request plist is not a dictionary: Apple expects a <dict> with PushCertRequestCSR, PushCertCertificateChain and PushCertSignature.');
  }
  return parsed as Record<string, unknown>;
}
