/**
 * The API reference at /docs, rendered on the server from the OpenAPI document: every operation
 * grouped by tag with its parameters, request media types and responses, and every schema as a
 * table of fields. Plain HTML and one inline stylesheet: no script, no CDN, no external fonts —
 * certpush runs on offline machines, and the page reads the same without JavaScript.
 */

interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  default?: unknown;
  contentMediaType?: string;
}
interface Media { schema?: Schema; example?: unknown }
interface Parameter { name: string; in: string; required?: boolean; description?: string; schema?: Schema }
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, unknown>>;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, Media> };
  responses?: Record<string, { description?: string; headers?: Record<string, { description?: string }>; content?: Record<string, Media> }>;
}
export interface DocsDocument {
  info: { title: string; version: string; description?: string };
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const rendered = new WeakMap<object, string>();

/** The page for `document` (app.swagger()); rendered once per document. */
export function docsPage(document: DocsDocument): string {
  let page = rendered.get(document);
  if (page === undefined) {
    page = render(document);
    rendered.set(document, page);
  }
  return page;
}

function render(document: DocsDocument): string {
  const groups = new Map<string, Array<{ path: string; method: string; operation: Operation }>>();
  for (const tag of document.tags ?? []) groups.set(tag.name, []);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? 'other';
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag)!.push({ path, method, operation });
    }
  }
  const tagDescriptions = new Map((document.tags ?? []).map((t) => [t.name, t.description ?? '']));
  const schemas = document.components?.schemas ?? {};
  const nav = [...groups].filter(([, ops]) => ops.length > 0).map(([tag]) => `<a href="#tag-${attr(tag)}">${text(tag)}</a>`).join(' · ');
  const sections = [...groups].filter(([, ops]) => ops.length > 0).map(([tag, ops]) => `
<section class="tag" id="tag-${attr(tag)}"><h2>${text(tag)}</h2>${tagDescriptions.get(tag) ? `<p>${text(tagDescriptions.get(tag)!)}</p>` : ''}
${ops.map(({ path, method, operation }) => renderOperation(path, method, operation, schemas)).join('\n')}
</section>`).join('\n');
  const components = Object.entries(schemas).map(([name, schema]) => `
<section class="schema" id="schema-${attr(name)}"><h3>${text(name)}</h3>${schema.description ? `<p>${text(schema.description)}</p>` : ''}${renderSchema(schema)}</section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(document.info.title)}</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 1040px; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
  h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d0d7de; }
  h3 { margin: 1.5rem 0 .3rem; } h4 { margin: .9rem 0 .3rem; font-size: .95rem; }
  nav { margin: 1rem 0; }
  details.op { margin: .6rem 0; padding: .5rem .75rem; border: 1px solid #d0d7de; border-radius: 6px; }
  details.op > summary { cursor: pointer; }
  .m { display: inline-block; min-width: 4.2rem; font-weight: 700; font-family: ui-monospace, monospace; }
  .get { color: #0a5fb4; } .post { color: #116329; } .put { color: #7d4e00; } .delete { color: #a40e26; } .patch { color: #6639ba; }
  .status { display: inline-block; min-width: 2.6rem; font-weight: 700; font-family: ui-monospace, monospace; }
  .s2 { color: #116329; } .s4 { color: #a40e26; } .s5 { color: #7d4e00; }
  code, .type { font-family: ui-monospace, monospace; font-size: 13px; } .opid { color: #57606a; font-size: 13px; }
  table { border-collapse: collapse; width: 100%; margin: .3rem 0 .6rem; font-size: 14px; }
  th, td { text-align: left; vertical-align: top; padding: .25rem .5rem; border-bottom: 1px solid #eaeef2; }
  th { font-weight: 600; background: #f6f8fa; } td.req { color: #a40e26; }
  pre { background: #f6f8fa; padding: .5rem; overflow: auto; font-size: 13px; }
  .media { margin-left: 1rem; }
</style></head>
<body><h1>${text(document.info.title)} <small>v${text(document.info.version)}</small></h1>
<p>${text(document.info.description ?? '')}</p>
<p>The machine-readable contract is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1): generate a client from it.</p>
<nav>${nav} · <a href="#schemas">Schemas</a></nav>
${sections}
<section id="schemas"><h2>Schemas</h2>${components}</section>
</body></html>`;
}

function renderOperation(path: string, method: string, operation: Operation, schemas: Record<string, Schema>): string {
  const id = operation.operationId ?? `${method}-${path}`;
  const parts: string[] = [];
  if (operation.description) parts.push(`<p>${text(operation.description)}</p>`);
  if (operation.security && operation.security.length === 0) parts.push('<p>No API key needed.</p>');
  else if (operation.security) parts.push(`<p>Authentication: ${operation.security.map((s) => Object.keys(s)[0] ?? 'none (a signature instead)').map(text).join(', or ')}.</p>`);
  if (operation.parameters?.length) {
    parts.push('<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>');
    for (const p of operation.parameters) {
      parts.push(`<tr><td><code>${text(p.name)}</code></td><td>${text(p.in)}</td><td class="type">${typeName(p.schema ?? {})}</td><td${p.required ? ' class="req">required' : '>'}</td><td>${text(p.description ?? p.schema?.description ?? '')}${constraints(p.schema ?? {})}</td></tr>`);
    }
    parts.push('</tbody></table>');
  }
  const body = operation.requestBody;
  if (body?.content) {
    parts.push(`<h4>Request body${body.required === false ? ' (optional)' : ''}</h4>`);
    for (const [type, media] of Object.entries(body.content)) parts.push(renderMedia(type, media, schemas));
  }
  parts.push('<h4>Responses</h4>');
  const problems: string[] = [];
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    const types = Object.keys(response.content ?? {});
    // Errors that are only a Problem go in one table: the schema is the same for all of them.
    if (types.length === 1 && types[0] === 'application/problem+json' && !status.startsWith('2')) {
      problems.push(`<tr><td><span class="status s${text(status[0] ?? '')}">${text(status)}</span></td><td>${text(response.description ?? '')}</td></tr>`);
      continue;
    }
    parts.push(`<div class="response"><p><span class="status s${text(status[0] ?? '')}">${text(status)}</span> ${text(response.description ?? '')}</p>`);
    for (const [name, header] of Object.entries(response.headers ?? {})) parts.push(`<p class="media">Header <code>${text(name)}</code>: ${text(header.description ?? '')}</p>`);
    for (const [type, media] of Object.entries(response.content ?? {})) parts.push(renderMedia(type, media, schemas, status.startsWith('2')));
    parts.push('</div>');
  }
  if (problems.length > 0) {
    parts.push(`<p>Errors: <code>application/problem+json</code>, a <a href="#schema-Problem">Problem</a>.</p><table class="errors"><tbody>${problems.join('')}</tbody></table>`);
  }
  return `<details class="op" id="op-${attr(id)}"><summary><span class="m ${attr(method)}">${text(method.toUpperCase())}</span> <code>${text(path)}</code> — ${text(operation.summary ?? '')} <span class="opid">${text(id)}</span></summary>
${parts.join('\n')}
</details>`;
}

/** One media type: its name, its schema's fields (a referenced component's, one level deep), its example. */
function renderMedia(type: string, media: Media, schemas: Record<string, Schema>, expand = true): string {
  const schema = media.schema ?? {};
  const target = schema.$ref ? (expand ? schemas[refName(schema.$ref)] : undefined) : schema;
  const head = `<p><code>${text(type)}</code>: <span class="type">${typeName(schema)}</span>${schema.description && !schema.$ref ? ` — ${text(schema.description)}` : ''}</p>`;
  const fields = target?.properties ? renderSchema(target) : '';
  const example = media.example === undefined ? '' : `<pre>${text(typeof media.example === 'string' ? media.example : JSON.stringify(media.example, null, 2))}</pre>`;
  return `<div class="media">${head}${fields}${example}</div>`;
}

/** An object's fields as a table (nested objects flattened as a.b, arrays as a[].b); other schemas as their type. */
function renderSchema(schema: Schema): string {
  const rows: string[] = [];
  collectRows(schema, '', rows);
  if (rows.length === 0) return `<p class="type">${typeName(schema)}${constraints(schema)}</p>`;
  return `<table><thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function collectRows(schema: Schema, prefix: string, rows: string[]): void {
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const field = `${prefix}${name}`;
    const required = schema.required?.includes(name) ?? false;
    rows.push(`<tr><td><code>${text(field)}</code></td><td class="type">${typeName(property)}</td><td${required ? ' class="req">required' : '>'}</td><td>${text(property.description ?? '')}${constraints(property)}</td></tr>`);
    if (property.properties) collectRows(property, `${field}.`, rows);
    else if (property.items?.properties) collectRows(property.items, `${field}[].`, rows);
  }
}

/** A schema's type in words, with links to the components it names. */
function typeName(schema: Schema): string {
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return `<a href="#schema-${attr(name)}">${text(name)}</a>`;
  }
  if (schema.const !== undefined) return text(JSON.stringify(schema.const));
  if (schema.enum) return schema.enum.map((v) => text(JSON.stringify(v))).join(' | ');
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map(typeName).join(' or ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) return 'any';
  return types.map((type) => {
    if (type === 'array') return `array of ${schema.items ? typeName(schema.items) : 'any'}`;
    if (type === 'object' && !schema.properties && typeof schema.additionalProperties === 'object') return `map of ${typeName(schema.additionalProperties)}`;
    if (type === 'string' && (schema.format || schema.contentMediaType)) return `string (${text(schema.format ?? schema.contentMediaType!)})`;
    return text(type);
  }).join(' | ');
}

function constraints(schema: Schema): string {
  const notes: string[] = [];
  if (schema.maxLength !== undefined) notes.push(`at most ${schema.maxLength} characters`);
  if (schema.minimum !== undefined && schema.maximum !== undefined) notes.push(`${schema.minimum} to ${schema.maximum}`);
  if (schema.default !== undefined) notes.push(`default ${JSON.stringify(schema.default)}`);
  return notes.length ? ` <small>(${text(notes.join('; '))})</small>` : '';
}

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/[^\w&;.-]/g, '-');
}
