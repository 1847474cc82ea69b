import type { Problem } from './api-types.ts';

/** An API answer that is not a success, carrying the problem+json certpush sent. */
export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(`${problem.detail} [${problem.code}]`);
    this.name = 'ApiError';
    this.problem = problem;
  }
}

export interface RequestOptions {
  /** Read the answer as text (downloads) instead of JSON. */
  text?: boolean;
  contentType?: string;
  signal?: AbortSignal;
}

/**
 * certpush's HTTP API with one API key. Every failure becomes an ApiError whose problem has a
 * `detail` (what to fix) and a `code`; a network failure too, so views handle one kind of error.
 */
export class Api {
  readonly #key: string;
  readonly #onUnauthorized: (problem: Problem) => void;

  constructor(key: string, onUnauthorized: (problem: Problem) => void = () => {}) {
    this.#key = key;
    this.#onUnauthorized = onUnauthorized;
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, undefined, options);
  }

  post<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, body, options);
  }

  put<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, body, options);
  }

  async request<T>(method: string, path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#key}` };
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: payload, signal: options.signal, cache: 'no-store' });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError({ type: 'about:blank', title: 'Network error', status: 0, code: 'NETWORK', detail: 'certpush did not answer. Check that the service is running and your network, then try again.' });
    }
    if (response.ok) {
      if (response.status === 204) return undefined as T;
      return (options.text ? await response.text() : await response.json()) as T;
    }
    const problem = await readProblem(response);
    if (response.status === 401) this.#onUnauthorized(problem);
    throw new ApiError(problem);
  }
}

async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (typeof parsed.detail === 'string' && typeof parsed.code === 'string') {
      return { ...parsed, title: parsed.title ?? response.statusText, status: response.status, detail: parsed.detail, code: parsed.code } as Problem;
    }
  } catch {
    // Not problem+json (a proxy's error page, say): fall through to a generic problem.
  }
  return { type: 'about:blank', title: response.statusText || 'Error', status: response.status, code: `HTTP_${response.status}`, detail: `certpush answered ${response.status} ${response.statusText}. Try again; if it persists, ask your operator to check the service's log.` };
}

/** Path segment escaping for ids in URLs. */
export function tenantPath(tenantId: string, rest = ''): string {
  return `/v1/tenants/${encodeURIComponent(tenantId)}${rest}`;
}
