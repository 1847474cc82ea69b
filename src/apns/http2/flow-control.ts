import { MAX_WINDOW } from './frames.ts';

/**
 * A send window after `delta` (a WINDOW_UPDATE increment, or a change of the peer's
 * SETTINGS_INITIAL_WINDOW_SIZE, which may be negative: RFC 9113 §6.9.2), or undefined when it
 * would pass 2^31−1 — a FLOW_CONTROL_ERROR (§6.9.1).
 */
export function growWindow(window: number, delta: number): number | undefined {
  const next = window + delta;
  return next > MAX_WINDOW ? undefined : next;
}

/**
 * What we let the peer send (one per stream and one for the connection): DATA, padding
 * included (§6.9.1), uses it up; once half of it has been used we give it back with a
 * WINDOW_UPDATE, so a long response never stalls and the peer never overruns us.
 *
 * @example
 * const window = new ReceiveWindow(1 << 20);
 * if (!window.receive(frameLength)) flowControlError();
 * const increment = window.takeUpdate(); if (increment > 0) writeWindowUpdate(id, increment);
 */
export class ReceiveWindow {
  readonly size: number;
  #available: number;
  #unacked = 0;

  constructor(size: number) {
    this.size = size;
    this.#available = size;
  }

  /** Count `bytes` received; false when the peer sent more than the window allowed. */
  receive(bytes: number): boolean {
    if (bytes > this.#available) return false;
    this.#available -= bytes;
    this.#unacked += bytes;
    return true;
  }

  /** The WINDOW_UPDATE increment due now (0: none yet). Data is consumed as it arrives. */
  takeUpdate(): number {
    if (this.#unacked < this.size / 2) return 0;
    const increment = this.#unacked;
    this.#available += increment;
    this.#unacked = 0;
    return increment;
  }
}
