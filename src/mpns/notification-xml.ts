import { CLEAR_ACTION, WP_NAMESPACE } from './protocol.ts';
import { escapeXmlAttribute, escapeXmlText } from './xml-escape.ts';

// The `<wp:Notification xmlns:wp="WPNotification">` envelope shared by toasts and tiles, and
// the `<wp:Name>value</wp:Name>` elements inside it. Strings are assembled directly (with the
// escaping in xml-escape.ts): the documents are tiny and fixed in shape, and this is the
// sender's hot path.

const DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

/** Attributes of one element, written in order; `undefined` values are left out. */
export type XmlAttributes = ReadonlyArray<readonly [name: string, value: string | undefined]>;

function attributes(list: XmlAttributes): string {
  let out = '';
  for (const [name, value] of list) {
    if (value !== undefined) out += ` ${name}="${escapeXmlAttribute(value, `The ${name} attribute`)}"`;
  }
  return out;
}

/**
 * One `wp:` element. `null` writes the element with `Action="Clear"` (the phone resets that
 * property); `undefined` writes nothing (the property keeps its value).
 */
export function wpElement(name: string, value: string | null | undefined, extra: XmlAttributes = []): string {
  if (value === undefined) return '';
  if (value === null) return `<wp:${name}${attributes([['Action', CLEAR_ACTION], ...extra])}></wp:${name}>`;
  return `<wp:${name}${attributes(extra)}>${escapeXmlText(value, `The ${name} value`)}</wp:${name}>`;
}

/** An empty `wp:` element with attributes only, e.g. `<wp:Sound Silent="true"/>`. */
export function wpEmptyElement(name: string, extra: XmlAttributes): string {
  return `<wp:${name}${attributes(extra)}/>`;
}

/**
 * The whole document: XML declaration, `wp:Notification` (with `Version` when given), and one
 * child element `wp:<kind>` holding `body`.
 */
export function notificationDocument(kind: 'Toast' | 'Tile', body: string, options: { version?: string; attributes?: XmlAttributes } = {}): string {
  return `${DECLARATION}<wp:Notification${attributes([['xmlns:wp', WP_NAMESPACE], ['Version', options.version]])}>`
    + `<wp:${kind}${attributes(options.attributes ?? [])}>${body}</wp:${kind}></wp:Notification>`;
}
