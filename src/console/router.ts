/** The console's pages, addressed by the URL fragment (`#/tenants/…`) so the server serves one page. */
export type Route =
  | { page: 'home' }
  | { page: 'tenant'; tenantId: string }
  | { page: 'mdm'; tenantId: string }
  | { page: 'mpns'; tenantId: string }
  | { page: 'devices'; tenantId: string }
  | { page: 'send'; tenantId: string; deviceId: string | null }
  | { page: 'report'; tenantId: string; notificationId: string }
  | { page: 'not-found'; path: string };

/** The route of a location hash such as `#/tenants/t_1/devices`. */
export function parseRoute(hash: string): Route {
  const [rawPath = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = rawPath.split('/').filter(Boolean).map((part) => decodeURIComponent(part));
  const params = new URLSearchParams(query);
  if (parts.length === 0) return { page: 'home' };
  if (parts[0] === 'tenants' && parts[1]) {
    const tenantId = parts[1];
    if (parts.length === 2) return { page: 'tenant', tenantId };
    if (parts.length === 3 && (parts[2] === 'mdm' || parts[2] === 'mpns' || parts[2] === 'devices')) return { page: parts[2], tenantId };
    if (parts.length === 3 && parts[2] === 'send') return { page: 'send', tenantId, deviceId: params.get('device') };
    if (parts.length === 4 && parts[2] === 'notifications') return { page: 'report', tenantId, notificationId: parts[3]! };
  }
  return { page: 'not-found', path: rawPath };
}

/** Links inside the console. */
export const href = {
  home: () => '#/',
  tenant: (tenantId: string) => `#/tenants/${encodeURIComponent(tenantId)}`,
  mdm: (tenantId: string) => `#/tenants/${encodeURIComponent(tenantId)}/mdm`,
  mpns: (tenantId: string) => `#/tenants/${encodeURIComponent(tenantId)}/mpns`,
  devices: (tenantId: string) => `#/tenants/${encodeURIComponent(tenantId)}/devices`,
  send: (tenantId: string, deviceId?: string) => `#/tenants/${encodeURIComponent(tenantId)}/send${deviceId ? `?device=${encodeURIComponent(deviceId)}` : ''}`,
  report: (tenantId: string, notificationId: string) => `#/tenants/${encodeURIComponent(tenantId)}/notifications/${encodeURIComponent(notificationId)}`,
};
