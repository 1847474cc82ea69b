import { CertpushError } from '../errors.ts';
import { notificationDocument, wpElement, wpEmptyElement } from './notification-xml.ts';

/**
 * A toast: the banner at the top of the phone's screen.
 *
 * @example { type: 'toast', text1: 'Build 42', text2: 'passed', param: '/Build.xaml?id=42' }
 */
export interface Toast {
  type: 'toast';
  /** The bold title. */
  text1: string;
  /** The text after the title. */
  text2?: string;
  /** Where tapping the toast leads: a page of the app with a query (`/Page.xaml?id=1`) or just the query. */
  param?: string;
  /** A sound file of the app package (`/Sounds/ding.wav`), or `{ silent: true }` to play none. */
  sound?: string | { silent: true };
}

/**
 * The toast's XML, `<wp:Notification xmlns:wp="WPNotification"><wp:Toast>…`, with `Text1`,
 * `Text2`, `Param` and `Sound` in documented order and every value escaped.
 */
export function toastXml(toast: Toast): string {
  if (typeof toast.text1 !== 'string') {
    throw new CertpushError('MPNS_TOAST_TEXT1', 'A toast needs text1 (its bold title) as a string. Set text1 (CLI: --toast-text1).');
  }
  for (const field of ['text2', 'param'] as const) {
    if (toast[field] !== undefined && typeof toast[field] !== 'string') {
      throw new CertpushError('MPNS_TOAST_FIELD', `The toast's ${field} must be a string; it is ${typeof toast[field]}.`);
    }
  }
  return notificationDocument('Toast',
    wpElement('Text1', toast.text1)
    + wpElement('Text2', toast.text2)
    + wpElement('Param', toast.param)
    + soundElement(toast.sound));
}

function soundElement(sound: Toast['sound']): string {
  if (sound === undefined) return '';
  if (typeof sound === 'string') return wpElement('Sound', sound);
  if (sound !== null && typeof sound === 'object' && sound.silent === true) return wpEmptyElement('Sound', [['Silent', 'true']]);
  throw new CertpushError('MPNS_TOAST_SOUND', 'The toast\'s sound must be a sound file path ("/Sounds/ding.wav") or { "silent": true }.');
}
