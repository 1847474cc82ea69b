/**
 * A self-contained API reference page: it reads /openapi.json in the browser and lists every
 * operation. No CDN, no external fonts — certpush runs on offline machines.
 */
export function docsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>certpush API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 960px; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
  h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #d0d7de; text-transform: capitalize; }
  .op { margin: .6rem 0; padding: .5rem .75rem; border: 1px solid #d0d7de; border-radius: 6px; }
  .m { display: inline-block; min-width: 4.2rem; font-weight: 700; font-family: ui-monospace, monospace; }
  .GET { color: #0a5fb4; } .POST { color: #116329; } .PUT { color: #7d4e00; } .DELETE { color: #a40e26; }
  code { font-family: ui-monospace, monospace; } pre { background: #f6f8fa; padding: .5rem; overflow: auto; font-size: 13px; }
</style></head>
<body><h1>certpush API</h1><p id="intro">Loading <a href="/openapi.json">/openapi.json</a>…</p><div id="ops"></div>
<script>
fetch('/openapi.json').then((r) => r.json()).then((spec) => {
  document.getElementById('intro').textContent = spec.info.description;
  const groups = {};
  for (const [path, methods] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(methods)) {
    const tag = (op.tags && op.tags[0]) || 'other'; (groups[tag] = groups[tag] || []).push({ path, method: method.toUpperCase(), op });
  }
  const root = document.getElementById('ops');
  for (const [tag, ops] of Object.entries(groups)) {
    const h = document.createElement('h2'); h.textContent = tag; root.append(h);
    for (const { path, method, op } of ops) {
      const d = document.createElement('details'); d.className = 'op';
      const s = document.createElement('summary');
      const m = document.createElement('span'); m.className = 'm ' + method; m.textContent = method;
      const p = document.createElement('code'); p.textContent = path;
      s.append(m, p, document.createTextNode(' — ' + (op.summary || ''))); d.append(s);
      const body = op.requestBody && op.requestBody.content && Object.values(op.requestBody.content)[0];
      if (body && body.schema) { const pre = document.createElement('pre'); pre.textContent = JSON.stringify(body.schema, null, 2); d.append(pre); }
      root.append(d);
    }
  }
});
</script></body></html>`;
}
