import { StringDecoder } from 'node:string_decoder';

/**
 * A response body as text, read from DATA frames: a UTF-8 character split across two frames
 * decodes as itself, not as two U+FFFD (each frame's bytes decoded on their own would). Keeps at
 * most `limit` characters (APNs' error bodies are tiny; anything past that is dropped).
 *
 * @example
 * const body = new BodyText(4096);
 * body.write(Buffer.from([0xc3])); body.write(Buffer.from([0xa9]));
 * body.end(); // 'é'
 */
export class BodyText {
  readonly #limit: number;
  #decoder: StringDecoder | undefined;
  #text = '';

  constructor(limit: number) {
    this.#limit = limit;
  }

  write(data: Buffer): void {
    if (this.#text.length >= this.#limit || data.length === 0) return;
    this.#decoder ??= new StringDecoder('utf8');
    this.#text += this.#decoder.write(data);
  }

  /** The text so far, with an incomplete trailing character (if any) as U+FFFD. */
  end(): string {
    if (this.#decoder) {
      this.#text += this.#decoder.end();
      this.#decoder = undefined;
    }
    return this.#text.length > this.#limit ? this.#text.slice(0, this.#limit) : this.#text;
  }
}
