import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCertpushError } from '../../src/errors.ts';
import { parseTile, type Tile, tileXml } from '../../src/mpns/tile.ts';
import { parseXml } from './xml-parser.ts';

function tileElement(tile: Tile) {
  const root = parseXml(tileXml(tile));
  assert.equal(root.name, 'wp:Notification');
  assert.equal(root.children.length, 1);
  return { root, tile: root.children[0]! };
}

describe('tile payload', () => {
  it('writes the Windows Phone 7.1 tile without Version or Template, elements in documented order', () => {
    const { root, tile } = tileElement({ type: 'tile', backContent: 'back', title: 'Inbox', count: 3, backgroundImage: '/a.png', backTitle: 'bt', backBackgroundImage: '/b.png' });
    assert.deepEqual(root.attributes, { 'xmlns:wp': 'WPNotification' });
    assert.equal(tile.name, 'wp:Tile');
    assert.deepEqual(tile.attributes, {});
    assert.deepEqual(tile.children.map((c) => [c.name, c.text]), [
      ['wp:BackgroundImage', '/a.png'], ['wp:Count', '3'], ['wp:Title', 'Inbox'],
      ['wp:BackBackgroundImage', '/b.png'], ['wp:BackTitle', 'bt'], ['wp:BackContent', 'back'],
    ]);
  });

  it('marks Windows Phone 8 templates with Version="2.0" and Template', () => {
    const { root, tile } = tileElement({ type: 'tile', template: 'FlipTile', title: 'x' });
    assert.deepEqual(root.attributes, { 'xmlns:wp': 'WPNotification', Version: '2.0' });
    assert.deepEqual(tile.attributes, { Template: 'FlipTile' });
  });

  it('writes every FlipTile element with its documented name', () => {
    const { tile } = tileElement({
      type: 'tile', template: 'FlipTile', smallBackgroundImage: 's', wideBackgroundImage: 'w', wideBackBackgroundImage: 'wb', wideBackContent: 'wc',
      backgroundImage: 'b', count: 1, title: 't', backBackgroundImage: 'bb', backTitle: 'bt', backContent: 'bc',
    });
    assert.deepEqual(tile.children.map((c) => c.name), [
      'wp:SmallBackgroundImage', 'wp:WideBackgroundImage', 'wp:WideBackBackgroundImage', 'wp:WideBackContent',
      'wp:BackgroundImage', 'wp:Count', 'wp:Title', 'wp:BackBackgroundImage', 'wp:BackTitle', 'wp:BackContent',
    ]);
  });

  it('writes CycleTile images CycleImage1 to CycleImage9', () => {
    const images = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`cycleImage${i + 1}`, `/photo${i + 1}.jpg`]));
    const { tile } = tileElement({ type: 'tile', template: 'CycleTile', smallBackgroundImage: '/s.png', ...images, count: 9, title: 'Photos' });
    assert.deepEqual(tile.children.map((c) => c.name), [
      'wp:SmallBackgroundImage', ...Array.from({ length: 9 }, (_, i) => `wp:CycleImage${i + 1}`), 'wp:Count', 'wp:Title',
    ]);
    assert.equal(tile.children[9]!.text, '/photo9.jpg');
  });

  it('writes every IconicTile element with its documented name', () => {
    const { tile } = tileElement({
      type: 'tile', template: 'IconicTile', smallIconImage: 's', iconImage: 'i', wideContent1: 'one', wideContent2: 'two', wideContent3: 'three',
      count: 5, title: 't', backgroundColor: '#FF1BA1E2',
    });
    assert.deepEqual(tile.children.map((c) => c.name), [
      'wp:SmallIconImage', 'wp:IconImage', 'wp:WideContent1', 'wp:WideContent2', 'wp:WideContent3', 'wp:Count', 'wp:Title', 'wp:BackgroundColor',
    ]);
  });

  it('clears a property given as null with Action="Clear"', () => {
    const { tile } = tileElement({ type: 'tile', template: 'IconicTile', wideContent2: null, count: null });
    assert.deepEqual(tile.children.map((c) => [c.name, c.attributes, c.text]), [
      ['wp:WideContent2', { Action: 'Clear' }, ''], ['wp:Count', { Action: 'Clear' }, ''],
    ]);
  });

  it('puts the tile Id (a secondary tile\'s navigation URI, escaped) before Template', () => {
    const xml = tileXml({ type: 'tile', template: 'FlipTile', id: '/Item.xaml?id=7&from="tile"', title: 'x' });
    assert.match(xml, /<wp:Tile Id="[^"]*" Template="FlipTile">/);
    assert.equal(tileElement({ type: 'tile', template: 'FlipTile', id: '/Item.xaml?id=7&from="tile"', title: 'x' }).tile.attributes.Id, '/Item.xaml?id=7&from="tile"');
  });

  it('refuses a property the template does not have, listing the ones it has', () => {
    assert.throws(() => tileXml({ type: 'tile', template: 'IconicTile', backContent: 'x' } as unknown as Tile),
      (e) => isCertpushError(e, 'MPNS_TILE_FIELD') && e.message.includes('"backContent"') && e.message.includes('wideContent1'));
  });

  it('refuses a count outside 0–99', () => {
    assert.throws(() => tileXml({ type: 'tile', count: 100 }), (e) => isCertpushError(e, 'MPNS_TILE_COUNT'));
  });

  it('refuses a background colour that is not hex ARGB or RGB', () => {
    assert.throws(() => tileXml({ type: 'tile', template: 'IconicTile', backgroundColor: 'blue' }), (e) => isCertpushError(e, 'MPNS_TILE_COLOR'));
  });

  it('refuses an unknown template', () => {
    assert.throws(() => tileXml({ type: 'tile', template: 'PeekTile', title: 'x' } as unknown as Tile), (e) => isCertpushError(e, 'MPNS_TILE_TEMPLATE'));
  });

  it('refuses an update that sets nothing', () => {
    assert.throws(() => tileXml({ type: 'tile', template: 'FlipTile', id: '/x' }), (e) => isCertpushError(e, 'MPNS_TILE_EMPTY'));
  });

  it('reads a tile from JSON without a type field', () => {
    assert.deepEqual(parseTile(JSON.parse('{"template":"FlipTile","title":"Inbox","count":3,"backContent":null}')),
      { type: 'tile', template: 'FlipTile', title: 'Inbox', count: 3, backContent: null });
  });

  it('refuses JSON that is not an object', () => {
    assert.throws(() => parseTile(['FlipTile']), (e) => isCertpushError(e, 'MPNS_TILE_JSON'));
  });
});
