import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { API_TYPES_FILE, renderApiTypes } from '../../scripts/api-types.ts';

describe('the console\'s API types', () => {
  it('are the committed output of scripts/api-types.ts over the component schemas (run it after changing a schema)', () => {
    assert.equal(fs.readFileSync(API_TYPES_FILE, 'utf8'), renderApiTypes(), 'src/console/api-types.ts is stale: run node scripts/api-types.ts');
  });

  it('render required and optional fields, nulls, enums, arrays, references and extension members', () => {
    const rendered = renderApiTypes([
      { $id: 'Color', type: 'string', enum: ['red', 'it\'s'] },
      {
        $id: 'Thing', type: 'object', description: 'A thing', required: ['id', 'when'], additionalProperties: true,
        properties: {
          id: { type: 'string' }, when: { type: ['string', 'null'], description: 'Maybe' }, colors: { type: 'array', items: { $ref: 'Color#' } },
          either: { anyOf: [{ $ref: 'Color#' }, { type: 'null' }] }, counts: { type: 'object', additionalProperties: { type: 'integer' } },
        },
      },
    ]);
    assert.match(rendered, /export type Color = 'red' \| 'it\\'s';/);
    assert.match(rendered, /\/\*\* A thing \*\/\nexport interface Thing \{\n {2}id: string;\n {2}\/\*\* Maybe \*\/\n {2}when: string \| null;\n {2}colors\?: Color\[\];\n {2}either\?: Color \| null;\n {2}counts\?: Record<string, number>;\n {2}\[extension: string\]: unknown;\n\}/);
  });
});
