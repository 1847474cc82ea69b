import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  CLEAR_ACTION, DELIVERY_INTERVALS, type DeliveryInterval, MAX_PAYLOAD_BYTES, MPNS_HEADERS, NOTIFICATION_CLASSES, type NotificationKind,
  TILE_ELEMENTS, TILE_TEMPLATES, type TileTemplate, TOAST_ELEMENTS, WINDOWS_PHONE_TARGETS, WP_NAMESPACE, WP8_NOTIFICATION_VERSION,
} from '../../mpns/protocol.ts';

/** A notification request the simulator understood. */
export interface CheckedNotification {
  kind: NotificationKind;
  notificationClass: number;
  interval: DeliveryInterval;
  messageId: string | null;
  /** Toast and tile: the `Template` (tiles), `Id`, and each element's text (`null` when cleared). */
  template: TileTemplate | null;
  tileId: string | null;
  elements: Record<string, string | null>;
  /** Things real MPNS may not accept, noted rather than refused. */
  warnings: string[];
}

export type RequestCheck = { ok: true; notification: CheckedNotification } | { ok: false; status: 400; error: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// fast-xml-parser is the independent reader: it checks well-formedness, decodes entities and
// character references, and keeps element order and attributes.
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  htmlEntities: true,
  preserveOrder: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

function fail(error: string): RequestCheck {
  return { ok: false, status: 400, error };
}

function tagOf(node: Node): string {
  return Object.keys(node).find((k) => k !== ':@')!;
}

function childrenOf(node: Node): Node[] {
  return (node[tagOf(node)] as Node[]) ?? [];
}

function elementsOnly(nodes: Node[]): Node[] | string {
  const elements: Node[] = [];
  for (const node of nodes) {
    const tag = tagOf(node);
    if (tag === '#text') {
      if (String(node['#text']).trim() !== '') return `text outside an element: "${String(node['#text']).trim().slice(0, 40)}"`;
    } else if (tag !== '#comment') {
      elements.push(node);
    }
  }
  return elements;
}

function textOf(node: Node): string | { error: string } {
  let text = '';
  for (const child of childrenOf(node)) {
    const tag = tagOf(child);
    if (tag === '#text') text += String(child['#text']);
    else if (tag !== '#comment') return { error: `<${tagOf(node)}> may hold only text, but holds <${tag}>` };
  }
  return text;
}

/**
 * Check the headers and body of a notification as MPNS does: the target and class headers
 * agree with each other and with the payload; the body (`size` bytes, of which `body` may hold
 * only the start) is at most 3 KB; toasts and tiles are well-formed `wp:Notification`
 * documents with only documented elements and attributes.
 */
export function checkNotificationRequest(headers: Record<string, string | string[] | undefined>, body: Buffer, size: number = body.length): RequestCheck {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const target = header(MPNS_HEADERS.target);
  const kind = (Object.keys(WINDOWS_PHONE_TARGETS) as NotificationKind[]).find((k) => (WINDOWS_PHONE_TARGETS[k] ?? undefined) === target);
  if (!kind) return fail(`X-WindowsPhone-Target "${target}" is not "toast" or "token" (leave it out for raw notifications)`);

  const classes = NOTIFICATION_CLASSES[kind];
  const classText = header(MPNS_HEADERS.notificationClass);
  let notificationClass = classes.immediate!;
  if (classText !== undefined) {
    notificationClass = Number(classText);
    if (!/^\d+$/.test(classText) || !Object.values(classes).includes(notificationClass)) {
      return fail(`X-NotificationClass ${classText} is not valid for a ${kind} notification; use ${Object.values(classes).join(', ')} (immediate, 450 s, 900 s)`);
    }
  }
  const interval = DELIVERY_INTERVALS.find((i) => classes[String(i)] === notificationClass)!;

  const messageId = header(MPNS_HEADERS.messageId) ?? null;
  if (messageId !== null && !UUID.test(messageId)) return fail(`X-MessageID "${messageId}" is not a UUID`);
  if (size > MAX_PAYLOAD_BYTES) return fail(`the payload is ${size} bytes; the limit is ${MAX_PAYLOAD_BYTES} bytes (3 KB)`);

  const base = { kind, notificationClass, interval, messageId, template: null, tileId: null, elements: {}, warnings: [] };
  if (kind === 'raw') return { ok: true, notification: base };

  const contentType = header('content-type') ?? '';
  if (!/^text\/xml\s*(;|$)/i.test(contentType)) return fail(`Content-Type "${contentType}" is not text/xml`);
  return checkXml(body.toString('utf8'), kind, base);
}

function checkXml(text: string, kind: 'toast' | 'tile', base: CheckedNotification): RequestCheck {
  // Entity declarations could expand without bound; MPNS payloads never need a DTD.
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return fail('the payload declares a DTD or entities, which are not allowed');
  const valid = XMLValidator.validate(text);
  if (valid !== true) return fail(`the payload is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  const top = elementsOnly(parser.parse(text) as Node[]);
  if (typeof top === 'string') return fail(top);
  if (top.length !== 1 || tagOf(top[0]!) !== 'wp:Notification') return fail('the document must have exactly one root element, <wp:Notification>');
  const root = top[0]!;
  const rootAttributes = root[':@'] ?? {};
  if (rootAttributes['xmlns:wp'] !== WP_NAMESPACE) return fail(`<wp:Notification> must declare xmlns:wp="${WP_NAMESPACE}"`);
  const version = rootAttributes.Version;
  if (version !== undefined && version !== WP8_NOTIFICATION_VERSION) return fail(`<wp:Notification Version="${version}"> is not supported; use Version="${WP8_NOTIFICATION_VERSION}" or leave it out`);

  const inner = elementsOnly(childrenOf(root));
  if (typeof inner === 'string') return fail(inner);
  const expected = kind === 'toast' ? 'wp:Toast' : 'wp:Tile';
  if (inner.length !== 1 || tagOf(inner[0]!) !== expected) {
    return fail(`X-WindowsPhone-Target says ${kind === 'toast' ? 'toast' : 'token (tile)'}, so <wp:Notification> must hold exactly one <${expected}>; it holds ${inner.map((n) => `<${tagOf(n)}>`).join(', ') || 'nothing'}`);
  }
  const body = inner[0]!;
  const bodyAttributes = body[':@'] ?? {};
  const notification: CheckedNotification = { ...base, elements: {}, warnings: [] };
  let allowed: readonly string[];
  if (kind === 'toast') {
    allowed = TOAST_ELEMENTS;
  } else {
    const template = bodyAttributes.Template;
    if (template !== undefined && !TILE_TEMPLATES.includes(template as TileTemplate)) return fail(`Template="${template}" is not one of ${TILE_TEMPLATES.join(', ')}`);
    if (template !== undefined && version === undefined) notification.warnings.push(`Template="${template}" without Version="${WP8_NOTIFICATION_VERSION}" on <wp:Notification>`);
    notification.template = (template as TileTemplate | undefined) ?? null;
    notification.tileId = bodyAttributes.Id ?? null;
    allowed = TILE_ELEMENTS[notification.template ?? 'legacy'];
  }
  const unknownAttribute = Object.keys(bodyAttributes).find((a) => !(kind === 'tile' && (a === 'Id' || a === 'Template')));
  if (unknownAttribute) return fail(`<${expected}> has an unknown attribute ${unknownAttribute}`);

  const children = elementsOnly(childrenOf(body));
  if (typeof children === 'string') return fail(children);
  for (const child of children) {
    const tag = tagOf(child);
    const name = tag.startsWith('wp:') ? tag.slice(3) : '';
    if (!allowed.includes(name)) return fail(`<${tag}> is not an element of ${kind === 'toast' ? 'a toast' : `the ${notification.template ?? 'Windows Phone 7.1'} tile`}; allowed: ${allowed.join(', ')}`);
    if (name in notification.elements) return fail(`<${tag}> appears twice`);
    const attributes = child[':@'] ?? {};
    for (const [attribute, value] of Object.entries(attributes)) {
      const ok = (attribute === 'Action' && value === CLEAR_ACTION && kind === 'tile') || (attribute === 'Silent' && value === 'true' && name === 'Sound');
      if (!ok) return fail(`<${tag} ${attribute}="${value}"> is not allowed (tiles allow Action="${CLEAR_ACTION}"; a toast's Sound allows Silent="true")`);
    }
    const text = textOf(child);
    if (typeof text !== 'string') return fail(text.error);
    if (attributes.Action === CLEAR_ACTION) {
      notification.elements[name] = null;
      continue;
    }
    if (name === 'Count' && !/^\s*\d{1,2}\s*$/.test(text)) return fail(`<wp:Count> must be a number from 0 to 99; it is "${text}"`);
    notification.elements[name] = attributes.Silent === 'true' ? '' : text;
  }
  if (kind === 'toast' && !('Text1' in notification.elements) && !('Text2' in notification.elements)) return fail('a toast needs <wp:Text1> or <wp:Text2>');
  if (kind === 'tile' && children.length === 0) return fail('the tile update has no elements');
  return { ok: true, notification };
}
