/**
 * A FIFO of waiting items on a ring buffer: O(1) at both ends (Array#shift is O(n) on long
 * arrays), and it gives memory back when it drains, so a burst does not pin it.
 *
 * @example const q = new JobQueue<number>(); q.push(1); q.unshift(0); q.shift() // 0
 */
export class JobQueue<T> {
  #items: Array<T | undefined>;
  #head = 0;
  #length = 0;
  readonly #minCapacity: number;

  constructor(initialCapacity = 64) {
    this.#minCapacity = 1 << Math.ceil(Math.log2(Math.max(2, initialCapacity)));
    this.#items = new Array<T | undefined>(this.#minCapacity);
  }

  get length(): number {
    return this.#length;
  }

  /** Add at the back. */
  push(item: T): void {
    if (this.#length === this.#items.length) this.#resize(this.#items.length * 2);
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item;
    this.#length++;
  }

  /** Add at the front (for work that must go first, e.g. a request to resend). */
  unshift(item: T): void {
    if (this.#length === this.#items.length) this.#resize(this.#items.length * 2);
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#length++;
  }

  /** Remove from the front; undefined when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#length--;
    if (this.#length === 0 && this.#items.length > this.#minCapacity * 16) this.#resize(this.#minCapacity);
    return item;
  }

  /** Remove everything, front first. */
  drain(): T[] {
    const all: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) all.push(item);
    return all;
  }

  /** Remove the items `test` picks, keeping the others in order; returns the removed, front first. O(n). */
  removeWhere(test: (item: T) => boolean): T[] {
    const removed: T[] = [];
    const mask = this.#items.length - 1;
    let kept = 0;
    for (let i = 0; i < this.#length; i++) {
      const item = this.#items[(this.#head + i) & mask] as T;
      if (test(item)) removed.push(item);
      else this.#items[(this.#head + kept++) & mask] = item;
    }
    for (let i = kept; i < this.#length; i++) this.#items[(this.#head + i) & mask] = undefined;
    this.#length = kept;
    return removed;
  }

  #resize(capacity: number): void {
    const items = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#length; i++) items[i] = this.#items[(this.#head + i) & (this.#items.length - 1)];
    this.#items = items;
    this.#head = 0;
  }
}
