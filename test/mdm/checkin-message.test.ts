import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as plist from 'plist';
import { CertpushError } from '../../src/errors.ts';
import { enrollmentIdOf, MAX_CHECKIN_BYTES, parseCheckinMessage } from '../../src/mdm/checkin-message.ts';
import { throwsCode } from '../fixtures/certpush-error.ts';
import { checkinPlist, newDevice, tokenUpdatePlist } from '../fixtures/checkins.ts';

const TOPIC = 'com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9';
// Apple's check-in protocol, as a device sends it (the Authenticate from nanomdm's test data, re-typed).
const AUTHENTICATE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>BuildVersion</key><string>16G2136</string>
	<key>Challenge</key><data>YXBwbGU=</data>
	<key>MessageType</key><string>Authenticate</string>
	<key>SerialNumber</key><string>C02MT66KFLHH</string>
	<key>Topic</key><string>${TOPIC}</string>
	<key>UDID</key><string>66ADE930-5FDF-5EC4-8429-15640684C489</string>
</dict>
</plist>`;

describe('parseCheckinMessage', () => {
  it('reads a TokenUpdate: the Token data as hex, PushMagic, Topic, UDID', () => {
    const device = newDevice();
    const m = parseCheckinMessage(tokenUpdatePlist(device, TOPIC));
    assert.deepEqual(m, { messageType: 'TokenUpdate', udid: device.udid, enrollmentId: null, userId: null, enrollmentUserId: null, topic: TOPIC, token: device.token.toString('hex'), pushMagic: device.pushMagic });
  });

  it('keeps nothing of the UnlockToken or other keys it does not act on', () => {
    const m = parseCheckinMessage(tokenUpdatePlist(newDevice(), TOPIC));
    assert.doesNotMatch(JSON.stringify(m), /UNLOCK|Unlock/);
  });

  it('reads an Authenticate as devices send it', () => {
    const m = parseCheckinMessage(AUTHENTICATE);
    assert.equal(m.messageType, 'Authenticate');
    assert.equal(m.udid, '66ADE930-5FDF-5EC4-8429-15640684C489');
  });

  it('names a device channel by UDID and a user channel "<UDID>:<UserID>", as nanomdm does', () => {
    assert.equal(enrollmentIdOf(parseCheckinMessage(checkinPlist('CheckOut', 'UDID-1'))), 'UDID-1');
    assert.equal(enrollmentIdOf(parseCheckinMessage(checkinPlist('UserAuthenticate', 'UDID-1', { UserID: 'U-9' }))), 'UDID-1:U-9');
  });

  it('names a User Enrollment by its EnrollmentID, and its user channel "<EnrollmentID>:<EnrollmentUserID>"', () => {
    const device = plist.build({ MessageType: 'CheckOut', EnrollmentID: 'ENR-1' });
    const user = plist.build({ MessageType: 'CheckOut', EnrollmentID: 'ENR-1', EnrollmentUserID: 'EU-2' });
    assert.equal(enrollmentIdOf(parseCheckinMessage(device)), 'ENR-1');
    assert.equal(enrollmentIdOf(parseCheckinMessage(user)), 'ENR-1:EU-2');
  });

  it('refuses text that is not a plist', () => {
    throwsCode(() => parseCheckinMessage('{"MessageType":"TokenUpdate"}'), 'CHECKIN_NOT_PLIST');
    throwsCode(() => parseCheckinMessage('<plist><dict><key>MessageType</key>'), 'CHECKIN_NOT_PLIST');
    throwsCode(() => parseCheckinMessage(plist.build(['not', 'a', 'dict'])), 'CHECKIN_NOT_PLIST');
  });

  it('refuses a check-in without MessageType or without a device', () => {
    throwsCode(() => parseCheckinMessage(plist.build({ UDID: 'X' })), 'CHECKIN_NO_MESSAGE_TYPE');
    throwsCode(() => parseCheckinMessage(plist.build({ MessageType: 'CheckOut' })), 'CHECKIN_NO_DEVICE');
  });

  it('refuses a TokenUpdate whose Token is a string, or too short, and says what a token is', () => {
    const e = throwsCode(() => parseCheckinMessage(checkinPlist('TokenUpdate', 'U', { Topic: TOPIC, PushMagic: 'M', Token: 'abcd' })), 'CHECKIN_TOKEN_INVALID');
    assert.match(e.message, /<data>/);
    throwsCode(() => parseCheckinMessage(checkinPlist('TokenUpdate', 'U', { Topic: TOPIC, PushMagic: 'M', Token: Buffer.alloc(8) })), 'CHECKIN_TOKEN_INVALID');
  });

  it('refuses a TokenUpdate without PushMagic or Topic', () => {
    throwsCode(() => parseCheckinMessage(checkinPlist('TokenUpdate', 'U', { Topic: TOPIC, Token: crypto.randomBytes(32) })), 'CHECKIN_PUSH_MAGIC_INVALID');
    throwsCode(() => parseCheckinMessage(checkinPlist('TokenUpdate', 'U', { PushMagic: 'M', Token: crypto.randomBytes(32) })), 'CHECKIN_TOPIC_INVALID');
  });

  it('refuses ids with the characters that separate enrollment ids in URLs', () => {
    for (const udid of ['A:B', 'A,B', 'A/B', 'A B', '']) throwsCode(() => parseCheckinMessage(checkinPlist('CheckOut', udid)), 'CHECKIN_ID_INVALID');
  });

  it('refuses a message larger than a check-in can be', () => {
    throwsCode(() => parseCheckinMessage(`<plist>${' '.repeat(MAX_CHECKIN_BYTES)}</plist>`), 'CHECKIN_TOO_LARGE');
  });
});

describe('parseCheckinMessage under fuzzing', () => {
  const onlyCertpushErrors = (input: string | Uint8Array) => {
    try {
      parseCheckinMessage(input);
    } catch (error) {
      assert.ok(error instanceof CertpushError, `threw ${String(error)}`);
      assert.match(error.code, /^CHECKIN_/);
    }
  };

  it('throws only CHECKIN_* errors for arbitrary text and bytes', () => {
    fc.assert(fc.property(fc.string({ maxLength: 2000 }), onlyCertpushErrors), { numRuns: 500 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), onlyCertpushErrors), { numRuns: 300 });
  });

  it('throws only CHECKIN_* errors for plists of arbitrary values under the check-in keys', () => {
    const value = fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.boolean(), fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }));
    const key = fc.constantFrom('MessageType', 'UDID', 'UserID', 'EnrollmentID', 'EnrollmentUserID', 'Topic', 'Token', 'PushMagic', 'UnlockToken');
    fc.assert(fc.property(fc.dictionary(key, value, { maxKeys: 9 }), (dict) => onlyCertpushErrors(plist.build(dict as plist.PlistValue))), { numRuns: 500 });
  });

  it('reads back every well-formed TokenUpdate exactly', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9-]{1,64}$/);
    fc.assert(fc.property(id, fc.uint8Array({ minLength: 32, maxLength: 100 }), id, (udid, token, magic) => {
      const m = parseCheckinMessage(plist.build({ MessageType: 'TokenUpdate', UDID: udid, Token: Buffer.from(token), PushMagic: magic, Topic: TOPIC }));
      assert.equal(m.token, Buffer.from(token).toString('hex'));
      assert.equal(m.pushMagic, magic);
      assert.equal(enrollmentIdOf(m), udid);
    }), { numRuns: 200 });
  });
});
