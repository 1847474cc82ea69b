import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { basicPassword } from '../../src/server/auth.ts';

const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;

describe('basicPassword (the API key as nanomdm sends it: HTTP Basic, user "nanomdm")', () => {
  it('takes the password after the first colon, whatever the user name', () => {
    assert.equal(basicPassword(basic('nanomdm:cpk_abc')), 'cpk_abc');
    assert.equal(basicPassword(basic(':cpk_abc')), 'cpk_abc');
    assert.equal(basicPassword(basic('u:pa:ss')), 'pa:ss');
    assert.equal(basicPassword(`basic ${Buffer.from('u:k').toString('base64')}`), 'k');
  });

  it('is null for anything that is not Basic auth with a password', () => {
    for (const header of ['Bearer cpk_abc', 'Basic', 'Basic !!!', basic('no-colon'), basic('user:'), 'Digest x']) assert.equal(basicPassword(header), null, header);
  });

  it('never throws, and reads back every user:password it is given (fuzzed)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (header) => {
      const result = basicPassword(header);
      assert.ok(result === null || typeof result === 'string');
    }), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ maxLength: 40 }).filter((u) => !u.includes(':')), fc.string({ minLength: 1, maxLength: 80 }), (user, password) => {
      assert.equal(basicPassword(basic(`${user}:${password}`)), Buffer.from(Buffer.from(password)).toString('utf8'));
    }), { numRuns: 500 });
  });
});
