/**
 * Which methods each route path takes, so a known path asked with another method answers
 * 405 with `Allow` (RFC 9110 §15.5.6) rather than 404. Fed by Fastify's onRoute hook.
 */
export class RouteMethods {
  readonly #routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  readonly #byUrl = new Map<string, Set<string>>();

  add(methods: string | string[], url: string): void {
    let known = this.#byUrl.get(url);
    if (!known) {
      known = new Set();
      this.#byUrl.set(url, known);
      this.#routes.push({ pattern: patternOf(url), methods: known });
    }
    for (const method of [methods].flat()) known.add(method.toUpperCase());
  }

  /** The methods some route at `path` takes (empty when no route has this path). */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.#routes) if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    return [...methods].sort();
  }
}

/** A Fastify path as a RegExp: ":name" is one non-empty segment, "::" a literal colon, "*" the rest. */
function patternOf(url: string): RegExp {
  const source = url.split('::').map((piece) => piece
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/:[A-Za-z0-9_]+/g, '[^/]+')
    .replace(/\*/g, '.*')).join(':');
  return new RegExp(`^${source}$`);
}
