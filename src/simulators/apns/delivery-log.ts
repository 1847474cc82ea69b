/** One notification the simulator accepted. */
export interface Delivery {
  apnsId: string;
  token: string;
  topic: string;
  pushType: string | undefined;
  priority: string | undefined;
  expiration: string | undefined;
  collapseId: string | undefined;
  /** The payload as received (UTF-8 text). */
  payload: string;
  /** When it was accepted, ms since the epoch. */
  receivedAt: number;
}

/**
 * What the simulator accepted: a total count, and the latest `capacity` deliveries in order
 * (a ring, so a benchmark's million pushes do not fill memory; capacity 0 keeps only the count).
 *
 * @example log.forToken(token).map((d) => d.payload)
 */
export class DeliveryLog {
  /** Every acceptance since start (or the last clear), whatever the capacity. */
  count = 0;
  readonly capacity: number;
  #ring: Delivery[] = [];
  #next = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
  }

  /** Count one acceptance; `make` builds its entry only when entries are kept. */
  record(make: () => Delivery): void {
    this.count++;
    if (this.capacity === 0) return;
    const delivery = make();
    if (this.#ring.length < this.capacity) this.#ring.push(delivery);
    else this.#ring[this.#next] = delivery;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Kept deliveries, oldest first. */
  entries(): Delivery[] {
    if (this.#ring.length < this.capacity) return [...this.#ring];
    return [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
  }

  /** Kept deliveries to one device token, oldest first. */
  forToken(token: string): Delivery[] {
    const wanted = token.toLowerCase();
    return this.entries().filter((d) => d.token.toLowerCase() === wanted);
  }

  clear(): void {
    this.count = 0;
    this.#ring = [];
    this.#next = 0;
  }
}
