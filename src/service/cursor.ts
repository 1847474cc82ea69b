import { ServiceError } from './errors.ts';

/** A device list's cursor: the last device id of the page before (store/ids.ts: "dev_" + 16 base64url). */
export const DEVICE_CURSOR = /^dev_[A-Za-z0-9_-]{16}$/;
/** A delivery report's cursor: the last delivery row id of the page before. */
export const DELIVERY_CURSOR = /^[1-9][0-9]{0,15}$/;

/**
 * A cursor is only ever what a page's `nextCursor` handed out. Anything else is refused: read
 * as "from the start" (or compared as a string), a garbage cursor returns a wrong page with no
 * hint that the client sent something wrong.
 */
export function checkCursor(cursor: string, shape: RegExp): string {
  if (!shape.test(cursor)) {
    throw new ServiceError('CURSOR_INVALID', `The cursor ${JSON.stringify(cursor.slice(0, 40))} is not one this list handed out. Pass the previous page's nextCursor unchanged, or leave cursor out for the first page.`);
  }
  return cursor;
}
