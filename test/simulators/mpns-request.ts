// A bare HTTP(S) client for poking the MPNS simulator with requests certpush would never send.
import http from 'node:http';
import https from 'node:https';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export const TOAST_XML = '<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>Hi</wp:Text1></wp:Toast></wp:Notification>';

/** Headers of a valid immediate toast. */
export const TOAST_HEADERS: Record<string, string> = { 'content-type': 'text/xml', 'x-windowsphone-target': 'toast', 'x-notificationclass': '2' };

export function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; client?: https.RequestOptions } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(url, { method: options.method ?? 'POST', headers: options.headers ?? {}, agent: false, ...options.client }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POST a toast (or `body`) with the usual toast headers, overridden by `headers`. */
export function postToast(url: string, overrides: { headers?: Record<string, string | undefined>; body?: string | Buffer; client?: https.RequestOptions } = {}): Promise<Reply> {
  const headers = Object.fromEntries(Object.entries({ ...TOAST_HEADERS, ...overrides.headers }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return request(url, { headers, body: overrides.body ?? TOAST_XML, client: overrides.client });
}
