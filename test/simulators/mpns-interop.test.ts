// Interop: the npm `mpns` package — the Node library certpush is measured against, written
// by others — sends toasts, tiles and raw notifications to the simulator, over HTTP and over
// HTTPS with the test client certificate, and the simulator accepts them.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { type SimulatorFixture, startSimulatorFixture } from '../mpns/simulator-fixture.ts';

type Callback = (error: unknown, result?: { statusCode: number; notificationStatus?: string }) => void;
interface NpmMpns {
  sendToast(uri: string, options: object, callback: Callback): void;
  sendTile(uri: string, options: object, callback: Callback): void;
  sendFlipTile(uri: string, options: object, callback: Callback): void;
  sendIconicTile(uri: string, options: object, callback: Callback): void;
  sendRaw(uri: string, options: object, callback: Callback): void;
}
const mpns = createRequire(import.meta.url)('mpns') as NpmMpns;

let f: SimulatorFixture;
let n = 0;
before(async () => {
  f = await startSimulatorFixture();
});
after(() => f.close());

function send(method: keyof NpmMpns, authenticated: boolean, options: object) {
  const uri = f.simulator.channelUri(`npm-${++n}`, { authenticated });
  const tls = authenticated ? { cert: f.pki.mpnsClient.cert, key: f.pki.mpnsClient.key, ca: f.pki.serverCa.cert } : {};
  return new Promise<{ statusCode: number; notificationStatus?: string }>((resolve, reject) => {
    mpns[method](uri, { ...options, ...tls }, (error, result) => (error ? reject(Object.assign(new Error('npm mpns reported an error'), { detail: error })) : resolve(result!)));
  });
}

for (const authenticated of [false, true]) {
  const over = authenticated ? 'over HTTPS with a client certificate' : 'over HTTP';
  describe(`npm mpns ${over}`, () => {
    it('gets a toast accepted with its texts intact', async () => {
      const result = await send('sendToast', authenticated, { text1: 'Hello', text2: 'from npm mpns', param: '/Page.xaml?x=1' });
      assert.deepEqual([result.statusCode, result.notificationStatus], [200, 'Received']);
      const recorded = f.simulator.notifications.at(-1)!;
      assert.deepEqual([recorded.kind, recorded.authenticated, recorded.elements], ['toast', authenticated, { Text1: 'Hello', Text2: 'from npm mpns', Param: '/Page.xaml?x=1' }]);
    });

    it('gets a Windows Phone 7.1 tile accepted', async () => {
      const result = await send('sendTile', authenticated, { title: 'Inbox', count: 4, backContent: 'four new' });
      assert.equal(result.statusCode, 200);
      assert.deepEqual(f.simulator.notifications.at(-1)!.elements, { Count: '4', Title: 'Inbox', BackContent: 'four new' });
    });

    it('gets a flip tile accepted', async () => {
      const result = await send('sendFlipTile', authenticated, { title: 'Flip', wideBackContent: 'wide back' });
      assert.equal(result.statusCode, 200);
      assert.equal(f.simulator.notifications.at(-1)!.template, 'FlipTile');
    });

    it('gets an iconic tile accepted', async () => {
      const result = await send('sendIconicTile', authenticated, { title: 'Icon', wideContent1: 'line one', backgroundColor: '#FF1BA1E2' });
      assert.equal(result.statusCode, 200);
      assert.equal(f.simulator.notifications.at(-1)!.template, 'IconicTile');
    });

    it('gets a raw notification accepted byte for byte', async () => {
      const result = await send('sendRaw', authenticated, { payload: '{"sync":true}' });
      assert.equal(result.statusCode, 200);
      const recorded = f.simulator.notifications.at(-1)!;
      assert.deepEqual([recorded.kind, Buffer.from(recorded.body, 'base64').toString('utf8')], ['raw', '{"sync":true}']);
    });
  });
}
