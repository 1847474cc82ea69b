import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCertpushError } from '../../src/errors.ts';
import { type Toast, toastXml } from '../../src/mpns/toast.ts';
import { parseXml } from './xml-parser.ts';

function parsed(toast: Omit<Toast, 'type'>) {
  return parseXml(toastXml({ type: 'toast', ...toast }));
}

describe('toast payload', () => {
  it('is a wp:Notification in the WPNotification namespace holding one wp:Toast', () => {
    const root = parsed({ text1: 'Hello' });
    assert.equal(root.name, 'wp:Notification');
    assert.deepEqual(root.attributes, { 'xmlns:wp': 'WPNotification' });
    assert.deepEqual(root.children.map((c) => c.name), ['wp:Toast']);
  });

  it('starts with a UTF-8 XML declaration', () => {
    assert.match(toastXml({ type: 'toast', text1: 'x' }), /^<\?xml version="1\.0" encoding="utf-8"\?><wp:Notification/);
  });

  it('writes Text1, Text2, Param and Sound in documented order', () => {
    const toast = parsed({ sound: '/Sounds/ding.wav', param: '/Page2.xaml?id=1', text2: 'world', text1: 'Hello' }).children[0]!;
    assert.deepEqual(toast.children.map((c) => [c.name, c.text]), [
      ['wp:Text1', 'Hello'], ['wp:Text2', 'world'], ['wp:Param', '/Page2.xaml?id=1'], ['wp:Sound', '/Sounds/ding.wav'],
    ]);
  });

  it('leaves out the elements that are not given', () => {
    const toast = parsed({ text1: 'Only a title' }).children[0]!;
    assert.deepEqual(toast.children.map((c) => c.name), ['wp:Text1']);
  });

  it('writes a silent toast as <wp:Sound Silent="true"/>', () => {
    const sound = parsed({ text1: 'Shh', sound: { silent: true } }).children[0]!.children[1]!;
    assert.equal(sound.name, 'wp:Sound');
    assert.deepEqual(sound.attributes, { Silent: 'true' });
    assert.equal(sound.text, '');
  });

  it('escapes every special character so the parsed text equals the input', () => {
    const text = `<b>Tom & Jerry's "show"</b>`;
    const toast = parsed({ text1: text, text2: text, param: `/P.xaml?a=1&b='2'` }).children[0]!;
    assert.deepEqual(toast.children.map((c) => c.text), [text, text, `/P.xaml?a=1&b='2'`]);
  });

  it('escapes the apostrophe, which the npm mpns library leaves raw', () => {
    assert.match(toastXml({ type: 'toast', text1: "it's" }), /it&apos;s/);
  });

  it('requires text1 as a string', () => {
    assert.throws(() => toastXml({ type: 'toast' } as unknown as Toast), (e) => isCertpushError(e, 'MPNS_TOAST_TEXT1'));
  });

  it('refuses a sound that is neither a path nor { silent: true }', () => {
    assert.throws(() => toastXml({ type: 'toast', text1: 'x', sound: { silent: false } as unknown as { silent: true } }), (e) => isCertpushError(e, 'MPNS_TOAST_SOUND'));
  });
});
