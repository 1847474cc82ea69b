import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE, type ErrorCode, httpStatusOf, isErrorCode } from '../src/error-catalogue.ts';
import { problem } from '../src/problem-details.ts';

const ROOT = path.join(import.meta.dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}
const SOURCES = sourceFiles(path.join(ROOT, 'src'))
  .filter((f) => !f.endsWith('error-catalogue.ts'))
  .map((f) => ({ file: path.relative(ROOT, f), text: fs.readFileSync(f, 'utf8') }));

interface DocumentedCode { code: string; status: number | null; line: number }

/**
 * The codes in README's tables: rows of tables with a `code` (or `finding`) column, read from
 * that column; with the status from a `status` column where the table has one ("404 / 405"
 * pairs with "`A` / `B`").
 */
function readmeTableCodes(): DocumentedCode[] {
  const lines = README.split('\n');
  const found: DocumentedCode[] = [];
  let header: string[] | null = null;
  lines.forEach((line, i) => {
    if (!line.startsWith('|')) {
      header = null;
      return;
    }
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (header === null) {
      header = cells.map((c) => c.toLowerCase());
      return;
    }
    if (cells.every((c) => /^-+$/.test(c))) return;
    const codeColumn = header.findIndex((h) => h === 'code' || h === 'finding');
    if (codeColumn < 0) return;
    const codes = [...(cells[codeColumn] ?? '').matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((m) => m[1]!);
    const statusColumn = header.indexOf('status');
    const statuses = statusColumn < 0 ? [] : [...(cells[statusColumn] ?? '').matchAll(/\b([1-5]\d\d)\b/g)].map((m) => Number(m[1]));
    if (statusColumn >= 0) assert.ok(statuses.length === 1 || statuses.length === codes.length, `README.md:${i + 1}: ${statuses.length} statuses for ${codes.length} codes`);
    codes.forEach((code, k) => found.push({ code, status: statusColumn < 0 ? null : (statuses.length === 1 ? statuses[0]! : statuses[k]!), line: i + 1 }));
  });
  return found;
}

describe('error catalogue', () => {
  it('knows every code README\'s error tables list, with the status they give', () => {
    const documented = readmeTableCodes();
    assert.ok(documented.length > 100, `README's tables list ${documented.length} codes`);
    for (const { code, status, line } of documented) {
      assert.ok(isErrorCode(code), `README.md:${line}: ${code} is not in src/error-catalogue.ts`);
      if (status !== null) assert.equal(httpStatusOf(code), status, `README.md:${line}: ${code} is documented as ${status}`);
    }
  });

  it('has every code with an HTTP status documented in a README table with that status', () => {
    const withStatus = new Map(readmeTableCodes().filter((d) => d.status !== null).map((d) => [d.code, d.status]));
    const undocumented = CODES.filter((code) => httpStatusOf(code) !== null && withStatus.get(code) !== httpStatusOf(code));
    assert.deepEqual(undocumented, [], 'add them to README\'s "Error codes" table (with their status)');
  });

  it('holds no code that src/ does not use', () => {
    const unused = CODES.filter((code) => !SOURCES.some((s) => s.text.includes(`'${code}'`)));
    assert.deepEqual(unused, []);
  });

  it('holds every code src/ throws or reports (the type checks this too; this catches casts)', () => {
    const raised = /\b(?:CertpushError|ServiceError|HttpProblem|FindingsError(?:\.of)?|unprocessable|conflict|problem|replyProblem|error|warning)\(\s*(?:reply,\s*)?'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g;
    const unknown = SOURCES.flatMap((s) => [...s.text.matchAll(raised)].map((m) => m[1]!).filter((c) => !isErrorCode(c)).map((c) => `${s.file}: ${c}`));
    assert.deepEqual(unknown, []);
  });

  it('says what each code means, once, in one line', () => {
    for (const code of CODES) {
      const { meaning } = ERROR_CATALOGUE[code];
      assert.ok(meaning.length > 5 && !meaning.includes('\n'), code);
    }
  });

  it('gives 4xx and 5xx statuses only, and a title RFC 9110 names to each', () => {
    for (const code of CODES) {
      const status = httpStatusOf(code);
      if (status === null) continue;
      assert.ok(status >= 400 && status < 600, `${code}: ${status}`);
      assert.notEqual(problem(code, 'x').title, 'Error', `${code}: no title for ${status}`);
    }
  });

  it('builds problems with the catalogue\'s status and type about:blank, and 500 for a code without one', () => {
    assert.deepEqual(problem('TENANT_EXISTS', 'A tenant named "A" exists.'), { type: 'about:blank', title: 'Conflict', status: 409, detail: 'A tenant named "A" exists.', code: 'TENANT_EXISTS' });
    assert.equal(problem('SIGNER_UNREACHABLE', 'x').status, 502);
    assert.equal(problem('CLI_USAGE', 'x').status, 500);
  });
});
