/**
 * Open streams by id: an open-addressing hash table on a plain array (linear probing,
 * backward-shift deletion), for the few hundred streams a connection has open at once.
 *
 * Why not a `Map`: V8 rebuilds a Map's backing table as entries come and go, and the
 * discarded table keeps pointing at its entries and at its successor table. Once one of those
 * tables has been promoted to the old generation, the young collector must treat everything
 * the chain reaches as alive, so every request's objects were promoted and the heap grew to
 * hundreds of megabytes between full collections (measured: 1.3 KB promoted per notification).
 * Here a removed entry's slot is cleared at once and the array is only replaced on growth.
 *
 * Stream ids on one connection are consecutive odd numbers, so `id >>> 1` spreads them over
 * consecutive slots: with the table at most half full, probing is almost always one step.
 *
 * @example
 * const table = new StreamTable<{ id: number }>();
 * table.add({ id: 1 }); table.get(1); table.delete(1);
 */
export class StreamTable<T extends { readonly id: number }> {
  #slots: Array<T | undefined>;
  #mask: number;
  #size = 0;

  constructor(initialCapacity = 256) {
    const capacity = 1 << Math.ceil(Math.log2(Math.max(8, initialCapacity)));
    this.#slots = new Array<T | undefined>(capacity).fill(undefined);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    const slots = this.#slots;
    for (let i = (id >>> 1) & this.#mask; ; i = (i + 1) & this.#mask) {
      const entry = slots[i];
      if (entry === undefined || entry.id === id) return entry;
    }
  }

  /** Add an entry whose id is not in the table yet. */
  add(entry: T): void {
    if ((this.#size + 1) * 2 > this.#slots.length) this.#grow();
    this.#place(entry);
    this.#size++;
  }

  /** Remove the entry with this id; returns it, or undefined when there was none. */
  delete(id: number): T | undefined {
    const slots = this.#slots;
    const mask = this.#mask;
    let hole = (id >>> 1) & mask;
    let entry = slots[hole];
    while (entry !== undefined && entry.id !== id) {
      hole = (hole + 1) & mask;
      entry = slots[hole];
    }
    if (entry === undefined) return undefined;
    // Backward-shift deletion: pull later entries of the probe run into the hole, so lookups
    // never need tombstones.
    for (let i = (hole + 1) & mask; ; i = (i + 1) & mask) {
      const next = slots[i];
      if (next === undefined) break;
      const home = (next.id >>> 1) & mask;
      // Move `next` back unless its home lies cyclically within (hole, i].
      const stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
      if (!stays) {
        slots[hole] = next;
        hole = i;
      }
    }
    slots[hole] = undefined;
    this.#size--;
    return entry;
  }

  /** A snapshot of the entries (safe to change the table while walking it). */
  values(): T[] {
    const out: T[] = [];
    for (const entry of this.#slots) if (entry !== undefined) out.push(entry);
    return out;
  }

  clear(): void {
    this.#slots.fill(undefined);
    this.#size = 0;
  }

  #place(entry: T): void {
    const slots = this.#slots;
    let i = (entry.id >>> 1) & this.#mask;
    while (slots[i] !== undefined) i = (i + 1) & this.#mask;
    slots[i] = entry;
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Array<T | undefined>(old.length * 2).fill(undefined);
    this.#mask = this.#slots.length - 1;
    for (const entry of old) if (entry !== undefined) this.#place(entry);
    // The old array may already be in the old generation: empty it so it holds nothing alive.
    old.fill(undefined);
  }
}
