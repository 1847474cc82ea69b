/**
 * At most `max` tasks at a time; the rest wait their turn in arrival order. Keeps a burst of
 * sends from opening unbounded requests (and memory) at once.
 */
export class ConcurrencyLimit {
  readonly max: number;
  #active = 0;
  // A FIFO as an array with a head index: Array#shift is O(n), and a burst of 20,000 sends
  // would make the queue quadratic.
  #waiting: Array<(() => void) | undefined> = [];
  #head = 0;

  constructor(max: number) {
    this.max = max;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Run `task` when a slot is free; the slot is released when its promise settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.max) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    if (this.#head < this.#waiting.length) {
      // Hand the slot straight to the next waiter: `active` stays the same.
      const next = this.#waiting[this.#head]!;
      this.#waiting[this.#head++] = undefined;
      if (this.#head === this.#waiting.length) {
        this.#waiting = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#head);
        this.#head = 0;
      }
      next();
    } else {
      this.#active--;
    }
  }
}
