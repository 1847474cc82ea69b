import { CertpushError } from '../errors.ts';

/** One `-----BEGIN X----- … -----END X-----` block, decoded. */
export interface PemBlock {
  label: string;
  der: Buffer;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/** True when the bytes look like PEM text rather than binary DER. */
export function looksLikePem(input: Uint8Array | string): boolean {
  const text = typeof input === 'string' ? input : Buffer.from(input.subarray(0, 4096)).toString('latin1');
  return text.includes('-----BEGIN ');
}

/**
 * Every PEM block in `text`, in order. Tolerates CRLF, blank lines, indentation, text
 * between blocks (openssl's "Bag Attributes"), and headers such as `Proc-Type`.
 * Throws PEM_* errors for a block that is cut off or whose body is not Base64.
 *
 * @example parsePem(fs.readFileSync('chain.pem', 'utf8')).map((b) => b.label)
 */
export function parsePem(input: string | Uint8Array): PemBlock[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m; m = BEGIN.exec(text)) {
    const label = m[1]!;
    const endMarker = `-----END ${label}-----`;
    const bodyStart = m.index + m[0].length;
    const end = text.indexOf(endMarker, bodyStart);
    if (end < 0) {
      throw new CertpushError(
        'PEM_TRUNCATED',
        `PEM block "${label}" has no "${endMarker}" line: the file is cut off. Copy the whole block, from BEGIN to END.`,
      );
    }
    const body = text.slice(bodyStart, end);
    if (body.includes('-----BEGIN ')) {
      throw new CertpushError(
        'PEM_TRUNCATED',
        `PEM block "${label}" is not closed before the next block begins: the file is cut off. Copy the whole block, from BEGIN to END.`,
      );
    }
    blocks.push({ label, der: decodeBody(label, body) });
    BEGIN.lastIndex = end + endMarker.length;
  }
  return blocks;
}

function decodeBody(label: string, body: string): Buffer {
  // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") end at the first blank line.
  const lines = body.split(/\r?\n|\r/).map((l) => l.trim());
  // (findIndex takes no start index: look for the blank line after the first header explicitly.)
  const firstHeader = lines.findIndex((l) => l.includes(':'));
  const headerEnd = firstHeader < 0 ? -1 : lines.findIndex((l, i) => i > firstHeader && l === '');
  const base64 = (headerEnd < 0 ? lines : lines.slice(headerEnd)).join('');
  if (base64.length === 0 || !BASE64_BODY.test(base64) || base64.length % 4 === 1) {
    throw new CertpushError(
      'PEM_BAD_BASE64',
      `PEM block "${label}" does not contain valid Base64 between its BEGIN and END lines. Re-export the file, or copy it again without edits.`,
    );
  }
  return Buffer.from(base64, 'base64');
}

/**
 * Canonical PEM: Base64 in lines of exactly 64 characters (the last may be shorter),
 * LF line ends, and a trailing newline — what Apple's portal and RFC 7468 expect.
 */
export function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The DER of the single block with one of `labels` in a PEM input, or the input itself
 * when it is already binary. Used by every parser that accepts "PEM or DER".
 */
export function pemOrDer(input: Uint8Array | string, labels: readonly string[], what: string): Buffer {
  if (!looksLikePem(input)) {
    if (typeof input === 'string') {
      throw new CertpushError('PEM_MISSING', `No PEM block found where ${what} was expected. Give a file that starts with "-----BEGIN ${labels[0]}-----", or the binary DER form.`);
    }
    return Buffer.from(input);
  }
  const blocks = parsePem(input);
  const found = blocks.find((b) => labels.includes(b.label));
  if (!found) {
    const seen = blocks.map((b) => b.label).join(', ') || 'none';
    throw new CertpushError(
      'PEM_WRONG_TYPE',
      `Expected ${what} (a "${labels[0]}" PEM block) but found: ${seen}. Check that you passed the right file.`,
    );
  }
  return found.der;
}

/** A PEM line that breaks the 64-character rule. */
export interface PemLineProblem {
  /** 1-based index of the block in the text. */
  block: number;
  label: string;
  /** 1-based line number within the block's Base64 body. */
  line: number;
  length: number;
}

/**
 * Lines of PEM bodies that break RFC 7468's layout, which Apple's portal enforces for
 * `PushCertCertificateChain`: every line but the last exactly 64 characters, the last 1–64.
 */
export function pemLineProblems(text: string): PemLineProblem[] {
  const problems: PemLineProblem[] = [];
  const blockPattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  let index = 0;
  for (let m = blockPattern.exec(text); m; m = blockPattern.exec(text)) {
    index++;
    const lines = m[2]!.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
    lines.forEach((l, i) => {
      const last = i === lines.length - 1;
      if (last ? l.length > 64 : l.length !== 64) problems.push({ block: index, label: m[1]!, line: i + 1, length: l.length });
    });
  }
  return problems;
}
