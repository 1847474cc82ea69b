import { CertpushError } from '../errors.ts';
import { notificationDocument, wpElement } from './notification-xml.ts';
import { TILE_ELEMENTS, TILE_TEMPLATES, type TileTemplate, WP8_NOTIFICATION_VERSION } from './protocol.ts';

/**
 * One tile property: a string sets it, `null` clears it (`Action="Clear"`), leaving it out
 * keeps what the tile shows.
 */
export type TileProperty = string | null;

interface TileCommon {
  type: 'tile';
  /** Which tile: omit for the app's primary tile; a secondary tile's navigation URI otherwise. */
  id?: string;
  /** The badge number, 0–99 (0 hides it); `null` clears it. */
  count?: number | null;
  title?: TileProperty;
}

/** The Windows Phone OS 7.1 tile (no template): front and back. */
export interface LegacyTile extends TileCommon {
  template?: undefined;
  backgroundImage?: TileProperty;
  backBackgroundImage?: TileProperty;
  backTitle?: TileProperty;
  backContent?: TileProperty;
}

/** Windows Phone 8 `FlipTile`: flips from front to back, in small, medium and wide sizes. */
export interface FlipTile extends TileCommon {
  template: 'FlipTile';
  smallBackgroundImage?: TileProperty;
  wideBackgroundImage?: TileProperty;
  wideBackBackgroundImage?: TileProperty;
  wideBackContent?: TileProperty;
  backgroundImage?: TileProperty;
  backBackgroundImage?: TileProperty;
  backTitle?: TileProperty;
  backContent?: TileProperty;
}

type CycleImageKey = `cycleImage${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`;

/** Windows Phone 8 `CycleTile`: cycles through one to nine images (local URIs only). */
export interface CycleTile extends TileCommon, Partial<Record<CycleImageKey, TileProperty>> {
  template: 'CycleTile';
  smallBackgroundImage?: TileProperty;
}

/** Windows Phone 8 `IconicTile`: an icon, up to three lines of wide content, a background colour. */
export interface IconicTile extends TileCommon {
  template: 'IconicTile';
  smallIconImage?: TileProperty;
  iconImage?: TileProperty;
  wideContent1?: TileProperty;
  wideContent2?: TileProperty;
  wideContent3?: TileProperty;
  /** ARGB hex, `#FF1BA1E2` (or RGB, `#1BA1E2`). */
  backgroundColor?: TileProperty;
}

/**
 * A tile update. Property names are the element names with a lower-case first letter
 * (`BackBackgroundImage` → `backBackgroundImage`).
 *
 * @example { type: 'tile', template: 'FlipTile', title: 'Inbox', count: 3, backContent: null }
 */
export type Tile = LegacyTile | FlipTile | CycleTile | IconicTile;

const BACKGROUND_COLOR = /^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;

function propertyName(element: string): string {
  return element[0]!.toLowerCase() + element.slice(1);
}

const PROPERTIES: Readonly<Record<string, ReadonlyArray<readonly [property: string, element: string]>>> = Object.fromEntries(
  Object.entries(TILE_ELEMENTS).map(([template, elements]) => [template, elements.map((e) => [propertyName(e), e] as const)]),
);

function templateName(tile: Tile): string {
  return tile.template ?? 'the Windows Phone 7.1 tile';
}

/**
 * Check a tile (typed or straight from JSON) and return its elements' values in documented
 * order. Unknown properties, wrong types and out-of-range counts are errors that name the
 * property and list what is allowed.
 */
function tileValues(tile: Tile): Array<[element: string, value: string | null | undefined]> {
  const template = tile.template;
  if (template !== undefined && !TILE_TEMPLATES.includes(template as TileTemplate)) {
    throw new CertpushError('MPNS_TILE_TEMPLATE', `Unknown tile template "${String(template)}". Use one of ${TILE_TEMPLATES.join(', ')}, or leave "template" out for the Windows Phone 7.1 tile.`);
  }
  const properties = PROPERTIES[template ?? 'legacy']!;
  const known = new Set(['type', 'template', 'id', ...properties.map(([p]) => p)]);
  for (const key of Object.keys(tile)) {
    if (!known.has(key)) {
      throw new CertpushError('MPNS_TILE_FIELD', `"${key}" is not a property of ${templateName(tile)}. Its properties are: id, ${properties.map(([p]) => p).join(', ')}.`);
    }
  }
  if (tile.id !== undefined && typeof tile.id !== 'string') {
    throw new CertpushError('MPNS_TILE_FIELD', 'The tile\'s id must be a string (a secondary tile\'s navigation URI, e.g. "/Item.xaml?id=7").');
  }
  const record = tile as unknown as Record<string, unknown>;
  const values: Array<[string, string | null | undefined]> = [];
  for (const [property, element] of properties) {
    const value = record[property];
    if (property === 'count' && typeof value === 'number') {
      if (!Number.isInteger(value) || value < 0 || value > 99) {
        throw new CertpushError('MPNS_TILE_COUNT', `The tile's count must be a whole number from 0 to 99 (0 hides the badge); it is ${value}.`);
      }
      values.push([element, String(value)]);
      continue;
    }
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw new CertpushError('MPNS_TILE_FIELD', `The tile's ${property} must be ${property === 'count' ? 'a number' : 'a string'} (or null to clear it); it is ${typeof value}.`);
    }
    if (property === 'backgroundColor' && typeof value === 'string' && !BACKGROUND_COLOR.test(value)) {
      throw new CertpushError('MPNS_TILE_COLOR', `The tile's backgroundColor "${value}" is not a hex colour. Write it as #AARRGGBB (e.g. #FF1BA1E2) or #RRGGBB.`);
    }
    values.push([element, value as string | null | undefined]);
  }
  if (values.every(([, v]) => v === undefined)) {
    throw new CertpushError('MPNS_TILE_EMPTY', `The tile update sets nothing. Set at least one of: ${properties.map(([p]) => p).join(', ')}.`);
  }
  return values;
}

/**
 * The tile's XML. Windows Phone 8 templates get `Version="2.0"` and `Template="…"`; the
 * Windows Phone 7.1 tile neither. `Id` is written when given.
 */
export function tileXml(tile: Tile): string {
  const body = tileValues(tile).map(([element, value]) => wpElement(element, value)).join('');
  return notificationDocument('Tile', body, {
    version: tile.template ? WP8_NOTIFICATION_VERSION : undefined,
    attributes: [['Id', tile.id], ['Template', tile.template]],
  });
}

/**
 * A tile from parsed JSON (e.g. `certpush push mpns --tile-json FILE`): `type` may be left
 * out; everything else is checked as tileXml does.
 */
export function parseTile(json: unknown): Tile {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CertpushError('MPNS_TILE_JSON', 'A tile must be a JSON object such as {"template": "FlipTile", "title": "Inbox", "count": 3}.');
  }
  const tile = { type: 'tile', ...json } as Tile;
  if (tile.type !== 'tile') throw new CertpushError('MPNS_TILE_JSON', `The tile's "type" must be "tile" (or left out); it is ${JSON.stringify(tile.type)}.`);
  tileValues(tile);
  return tile;
}
