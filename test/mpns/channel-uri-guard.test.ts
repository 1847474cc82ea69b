import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCertpushError } from '../../src/errors.ts';
import { ChannelUriGuard, checkChannelUri } from '../../src/mpns/channel-uri-guard.ts';

const REAL = 'http://sn1.notify.live.net/throttledthirdparty/01.00/AAGvdLTQzLGqRZ0FRZRVT1GBAgoOs1kPAQAAAAQOMDAwAAAAAAAAAAAAAAA';

function refusedWith(code: string, uri: string, allowHosts?: string[]) {
  assert.throws(() => checkChannelUri(uri, allowHosts), (e) => isCertpushError(e, code));
}

describe('channel URI guard', () => {
  it('accepts an unauthenticated MPNS channel URI', () => {
    assert.equal(checkChannelUri(REAL).hostname, 'sn1.notify.live.net');
  });

  it('accepts an authenticated (https) MPNS channel URI', () => {
    assert.equal(checkChannelUri('https://db3.notify.live.net/unthrottledthirdparty/01.00/AAF').protocol, 'https:');
  });

  it('accepts explicit ports 80 and 443', () => {
    checkChannelUri('http://db3.notify.live.net:80/x');
    checkChannelUri('https://db3.notify.live.net:443/x');
  });

  it('refuses the loopback address by default', () => {
    refusedWith('MPNS_CHANNEL_URI_HOST', 'http://127.0.0.1/throttledthirdparty/01.00/x');
  });

  it('refuses the cloud metadata address', () => {
    refusedWith('MPNS_CHANNEL_URI_HOST', 'http://169.254.169.254/latest/meta-data/');
  });

  it('refuses loopback written as a decimal number', () => {
    refusedWith('MPNS_CHANNEL_URI_HOST', 'http://2130706433/x');
  });

  it('refuses file: URIs', () => {
    refusedWith('MPNS_CHANNEL_URI_SCHEME', 'file:///etc/passwd');
  });

  it('refuses other schemes such as gopher:', () => {
    refusedWith('MPNS_CHANNEL_URI_SCHEME', 'gopher://db3.notify.live.net/x');
  });

  it('refuses user-info, which could disguise the real host', () => {
    refusedWith('MPNS_CHANNEL_URI_USERINFO', 'http://db3.notify.live.net@169.254.169.254/x');
  });

  it('refuses a look-alike host that only contains the MPNS domain', () => {
    refusedWith('MPNS_CHANNEL_URI_HOST', 'http://notify.live.net.evil.example/x');
  });

  it('refuses the bare domain the wildcard is built on', () => {
    refusedWith('MPNS_CHANNEL_URI_HOST', 'http://notify.live.net/x');
  });

  it('refuses ports other than 80 and 443 on allowed hosts', () => {
    refusedWith('MPNS_CHANNEL_URI_PORT', 'http://db3.notify.live.net:8080/x');
  });

  it('refuses URIs longer than 1,024 characters', () => {
    refusedWith('MPNS_CHANNEL_URI_TOO_LONG', `${REAL}/${'a'.repeat(1024)}`);
  });

  it('accepts a URI of exactly 1,024 characters', () => {
    const uri = `http://db3.notify.live.net/${'a'.repeat(1024 - 'http://db3.notify.live.net/'.length)}`;
    assert.equal(uri.length, 1024);
    checkChannelUri(uri);
  });

  it('refuses text that is not a URL', () => {
    refusedWith('MPNS_CHANNEL_URI_MALFORMED', 'db3.notify.live.net/x');
  });

  it('refuses an empty URI', () => {
    refusedWith('MPNS_CHANNEL_URI_MALFORMED', '');
  });

  it('says how to allow a host in the refusal', () => {
    assert.throws(() => checkChannelUri('http://127.0.0.1:8080/x'), (e) => isCertpushError(e) && e.message.includes('--allow-host 127.0.0.1:8080'));
  });

  it('allows a simulator only through an explicit host:port entry', () => {
    const guard = new ChannelUriGuard(['127.0.0.1:8080']);
    assert.equal(guard.check('http://127.0.0.1:8080/throttledthirdparty/01.00/x').port, '8080');
    assert.throws(() => guard.check('http://127.0.0.1:8081/x'), (e) => isCertpushError(e, 'MPNS_CHANNEL_URI_PORT'));
  });

  it('allows a listed host on 80 and 443 only when no port is named', () => {
    const guard = new ChannelUriGuard(['localhost']);
    guard.check('http://localhost/x');
    assert.throws(() => guard.check('http://localhost:8080/x'), (e) => isCertpushError(e, 'MPNS_CHANNEL_URI_PORT'));
  });

  it('allows an IPv6 loopback simulator written in brackets', () => {
    assert.equal(new ChannelUriGuard(['[::1]:8443']).check('https://[::1]:8443/x').hostname, '[::1]');
  });

  it('replaces the default list instead of adding to it', () => {
    assert.throws(() => new ChannelUriGuard(['127.0.0.1:8080']).check(REAL), (e) => isCertpushError(e, 'MPNS_CHANNEL_URI_HOST'));
  });

  it('refuses an allow-list wildcard broader than a two-label domain', () => {
    assert.throws(() => new ChannelUriGuard(['*.net']), (e) => isCertpushError(e, 'MPNS_ALLOW_HOST'));
    assert.throws(() => new ChannelUriGuard(['*']), (e) => isCertpushError(e, 'MPNS_ALLOW_HOST'));
  });

  it('refuses an allow-list entry that is a URL rather than a host', () => {
    assert.throws(() => new ChannelUriGuard(['http://127.0.0.1:8080/']), (e) => isCertpushError(e, 'MPNS_ALLOW_HOST'));
  });
});
