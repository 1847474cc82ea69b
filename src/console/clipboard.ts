import { h } from './dom.ts';

/**
 * A Copy button for a value shown in a read-only input. The Clipboard API needs a secure
 * context (https or localhost); elsewhere the value is selected for Ctrl+C and the user told so.
 */
export function copyButton(input: HTMLInputElement | HTMLTextAreaElement, label: string, announce: (message: string) => void): HTMLButtonElement {
  return h('button', {
    type: 'button',
    class: 'button-secondary',
    onclick: async () => {
      input.focus();
      input.select();
      try {
        if (!navigator.clipboard) throw new Error('no clipboard');
        await navigator.clipboard.writeText(input.value);
        announce('Copied to the clipboard.');
      } catch {
        announce('This browser does not allow copying here: the text is selected, press Ctrl+C (⌘C) to copy it.');
      }
    },
  }, label);
}
