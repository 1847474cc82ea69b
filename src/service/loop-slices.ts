/**
 * Long CPU work in slices: call `due()` often (it only reads the clock every few calls) and,
 * when it is true, `await pause()` to let the event loop serve other requests, timers and the
 * worker before going on. Keeps a large import from holding the loop (DESIGN: no request holds
 * it for more than ~50 ms).
 */
export class LoopSlices {
  readonly #sliceMs: number;
  #started = performance.now();
  #calls = 0;

  constructor(sliceMs = 10) {
    this.#sliceMs = sliceMs;
  }

  due(): boolean {
    return (++this.#calls & 63) === 0 && performance.now() - this.#started >= this.#sliceMs;
  }

  /** Yield to the event loop (after the I/O already waiting), then start a new slice. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#started = performance.now();
  }
}
