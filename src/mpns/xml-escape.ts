import { CertpushError } from '../errors.ts';

// XML 1.0 §2.2: the characters a document may hold. Everything else (most C0 controls, lone
// surrogates, U+FFFE/U+FFFF) cannot be written at all, not even as a character reference.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const TEXT_SPECIALS = /[<>&'"\r]/g;
const ATTRIBUTE_SPECIALS = /[<>&'"\t\n\r]/g;

// All five predefined entities are escaped everywhere (the npm `mpns` library forgets `'`).
// CR is written as a character reference because XML parsers turn a raw CR (or CRLF) into LF
// (§2.11); in attributes TAB and LF are too, because attribute-value normalisation (§3.3.3)
// turns them into spaces.
const REPLACEMENTS: Readonly<Record<string, string>> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  "'": '&apos;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

function replace(char: string): string {
  return REPLACEMENTS[char]!;
}

function checkXmlChars(value: string, what: string): void {
  const bad = NOT_XML_CHAR.exec(value);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new CertpushError('MPNS_XML_INVALID_CHAR', `${what} contains the character U+${code} at position ${bad.index}, which XML cannot carry. Remove control characters (and unpaired surrogates) from the text.`);
  }
}

/**
 * Escape text for XML element content: `< > & ' "` become entities, CR a character
 * reference, so that any parser reads back exactly `value`.
 * Throws MPNS_XML_INVALID_CHAR for characters XML 1.0 cannot represent.
 *
 * @example escapeXmlText(`Tom & Jerry's "<show>"`) // 'Tom &amp; Jerry&apos;s &quot;&lt;show&gt;&quot;'
 */
export function escapeXmlText(value: string, what = 'The text'): string {
  checkXmlChars(value, what);
  return value.replace(TEXT_SPECIALS, replace);
}

/**
 * Escape a value for a double-quoted XML attribute: as escapeXmlText, plus TAB and LF as
 * character references so attribute-value normalisation leaves them intact.
 */
export function escapeXmlAttribute(value: string, what = 'The attribute value'): string {
  checkXmlChars(value, what);
  return value.replace(ATTRIBUTE_SPECIALS, replace);
}
