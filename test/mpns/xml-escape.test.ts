import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeXmlAttribute, escapeXmlText } from '../../src/mpns/xml-escape.ts';
import { isCertpushError } from '../../src/errors.ts';
import { parseXml } from './xml-parser.ts';

// Characters XML 1.0 can carry (§2.2): what the property tests draw from.
const xmlChar = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('<', '>', '&', "'", '"', '\r', '\n', '\t', ' ', ';', '#', ']]>') },
  { weight: 10, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0xd7ff }).map((c) => String.fromCodePoint(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
);
const xmlText = fc.array(xmlChar, { maxLength: 40 }).map((parts) => parts.join('').replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ''));

describe('XML escaping', () => {
  it('escapes all five special characters in text, including the apostrophe', () => {
    assert.equal(escapeXmlText(`<a href="x">Tom & Jerry's</a>`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;');
  });

  it('writes a carriage return as a character reference so parsers do not turn it into a line feed', () => {
    assert.equal(escapeXmlText('a\r\nb'), 'a&#13;\nb');
  });

  it('writes tab and line feed in attributes as character references so they survive normalisation', () => {
    assert.equal(escapeXmlAttribute('a\tb\nc'), 'a&#9;b&#10;c');
  });

  it('refuses characters XML cannot carry, naming the code point', () => {
    assert.throws(() => escapeXmlText('bell\u0007'), (e) => isCertpushError(e, 'MPNS_XML_INVALID_CHAR') && e.message.includes('U+0007'));
  });

  it('refuses an unpaired surrogate', () => {
    assert.throws(() => escapeXmlText('broken \uD800 pair'), (e) => isCertpushError(e, 'MPNS_XML_INVALID_CHAR'));
  });

  it('leaves text without special characters unchanged', () => {
    assert.equal(escapeXmlText('Grüße 👋 plain'), 'Grüße 👋 plain');
  });

  it('round-trips any XML-representable text through element content and an independent parser', () => {
    fc.assert(fc.property(xmlText, (text) => {
      assert.equal(parseXml(`<wp:Text1>${escapeXmlText(text)}</wp:Text1>`).text, text);
    }), { numRuns: 500 });
  });

  it('round-trips any XML-representable text through an attribute and an independent parser', () => {
    fc.assert(fc.property(xmlText, (text) => {
      assert.equal(parseXml(`<wp:Tile Id="${escapeXmlAttribute(text)}"></wp:Tile>`).attributes.Id ?? '', text);
    }), { numRuns: 500 });
  });
});
