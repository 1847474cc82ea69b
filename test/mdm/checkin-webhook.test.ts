import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CertpushError } from '../../src/errors.ts';
import { parseCheckinWebhook } from '../../src/mdm/checkin-webhook.ts';
import { throwsCode } from '../fixtures/certpush-error.ts';
import { checkinPlist, micromdmEvent, nanomdmEvent } from '../fixtures/checkins.ts';

describe('parseCheckinWebhook', () => {
  it('recognises nanomdm\'s event by its enrollment_id and decodes the raw payload', () => {
    const raw = checkinPlist('CheckOut', 'UDID-1');
    const event = parseCheckinWebhook(nanomdmEvent('mdm.CheckOut', raw, { udid: 'UDID-1', enrollmentId: 'UDID-1' }, 'ev-1'));
    assert.deepEqual({ ...event, rawPayload: event.rawPayload?.toString() }, { format: 'nanomdm', topic: 'mdm.CheckOut', eventId: 'ev-1', udid: 'UDID-1', enrollmentId: 'UDID-1', rawPayload: raw });
  });

  it('recognises MicroMDM\'s event, which has only udid and raw_payload', () => {
    const event = parseCheckinWebhook(micromdmEvent('mdm.TokenUpdate', checkinPlist('TokenUpdate', 'U'), 'U', 'ev-2'));
    assert.equal(event.format, 'micromdm');
    assert.equal(event.enrollmentId, null);
    assert.equal(event.eventId, 'ev-2');
  });

  it('accepts nanomdm\'s event without an event_id (nanomdm may leave it out)', () => {
    assert.equal(parseCheckinWebhook(nanomdmEvent('mdm.Authenticate', checkinPlist('Authenticate', 'U'), { udid: 'U', enrollmentId: 'U' }, null)).eventId, null);
  });

  it('takes an acknowledge event (mdm.Connect) without a check-in', () => {
    const event = parseCheckinWebhook({ topic: 'mdm.Connect', event_id: 'e', acknowledge_event: { udid: 'U', status: 'Acknowledged' } });
    assert.equal(event.rawPayload, null);
  });

  it('names the field that is wrong', () => {
    assert.match(throwsCode(() => parseCheckinWebhook([]), 'CHECKIN_EVENT_INVALID').message, /JSON object/);
    assert.match(throwsCode(() => parseCheckinWebhook({ checkin_event: {} }), 'CHECKIN_EVENT_INVALID').message, /"topic"/);
    assert.match(throwsCode(() => parseCheckinWebhook({ topic: 'mdm.TokenUpdate' }), 'CHECKIN_EVENT_INVALID').message, /checkin_event/);
    assert.match(throwsCode(() => parseCheckinWebhook({ topic: 'mdm.TokenUpdate', checkin_event: { raw_payload: 7 } }), 'CHECKIN_EVENT_INVALID').message, /raw_payload/);
    assert.match(throwsCode(() => parseCheckinWebhook({ topic: 'mdm.TokenUpdate', checkin_event: { raw_payload: '***' } }), 'CHECKIN_EVENT_INVALID').message, /Base64/);
    assert.match(throwsCode(() => parseCheckinWebhook({ topic: 'mdm.TokenUpdate', event_id: 5, checkin_event: { raw_payload: 'AAAA' } }), 'CHECKIN_EVENT_INVALID').message, /event_id/);
    assert.match(throwsCode(() => parseCheckinWebhook({ topic: 'mdm.TokenUpdate', checkin_event: { raw_payload: 'AAAA', enrollment_id: 'A,B' } }), 'CHECKIN_EVENT_INVALID').message, /enrollment_id/);
  });

  it('throws only CHECKIN_EVENT_INVALID for arbitrary JSON values (fuzzed)', () => {
    const check = (value: unknown) => {
      try {
        parseCheckinWebhook(value);
      } catch (error) {
        assert.ok(error instanceof CertpushError && error.code === 'CHECKIN_EVENT_INVALID', `threw ${String(error)}`);
      }
    };
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), check), { numRuns: 500 });
    const field = fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }), fc.base64String({ maxLength: 200 }));
    const shaped = fc.record({ topic: field, event_id: field, checkin_event: fc.oneof(fc.record({ udid: field, enrollment_id: field, raw_payload: field }, { requiredKeys: [] }), field) }, { requiredKeys: [] });
    fc.assert(fc.property(shaped, check), { numRuns: 500 });
  });
});
