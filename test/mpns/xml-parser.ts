// The independent XML reader of the MPNS tests: fast-xml-parser, set to keep text exactly
// (no trimming, no number parsing) and to decode entities and character references.
import { XMLParser } from 'fast-xml-parser';

const ordered = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  htmlEntities: true,
  preserveOrder: true,
  ignoreDeclaration: true,
});

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
}

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

function toElement(node: Node): XmlElement {
  const name = Object.keys(node).find((k) => k !== ':@')!;
  const kids = (node[name] as Node[]) ?? [];
  const children = kids.filter((k) => !('#text' in k)).map(toElement);
  const text = kids.filter((k) => '#text' in k).map((k) => String(k['#text'])).join('');
  return { name, attributes: node[':@'] ?? {}, text, children };
}

/** Parse a document into its root element (declaration dropped), order preserved. */
export function parseXml(xml: string): XmlElement {
  const nodes = (ordered.parse(xml) as Node[]).filter((n) => !('#text' in n));
  if (nodes.length !== 1) throw new Error(`expected one root element, found ${nodes.length}`);
  return toElement(nodes[0]!);
}
