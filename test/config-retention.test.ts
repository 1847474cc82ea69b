// The retention window's setting: --retention-days / CERTPUSH_RETENTION_DAYS, default 7.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from '../src/config.ts';
import { throwsCode } from './fixtures/certpush-error.ts';

describe('retention setting', () => {
  it('keeps per-device results 7 days by default', () => {
    assert.equal(resolveConfig({}, {}).retentionDays, 7);
  });

  it('reads CERTPUSH_RETENTION_DAYS, and the flag wins over it', () => {
    assert.equal(resolveConfig({}, { CERTPUSH_RETENTION_DAYS: '0.5' }).retentionDays, 0.5);
    assert.equal(resolveConfig({ retentionDays: '30' }, { CERTPUSH_RETENTION_DAYS: '0.5' }).retentionDays, 30);
    assert.equal(resolveConfig({ retentionDays: '0' }, {}).retentionDays, 0);
  });

  it('refuses a negative or non-numeric window, naming the setting', () => {
    for (const bad of ['-1', 'week', 'Infinity']) {
      const error = throwsCode(() => resolveConfig({}, { CERTPUSH_RETENTION_DAYS: bad }), 'CONFIG_INVALID');
      assert.match(error.message, /CERTPUSH_RETENTION_DAYS or --retention-days/);
    }
  });
});
