/**
 * Path parameter schemas shared by the routes: ids are short strings (ten_…, dev_…, ntf_…), never
 * empty — `GET /v1/tenants/` is refused naming the missing id, not looked up as tenant "".
 */
const id = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const tenantParams = { type: 'object', properties: { tid: id }, required: ['tid'] } as const;
export const deviceParams = { type: 'object', properties: { tid: id, id }, required: ['tid', 'id'] } as const;
export const notificationParams = { type: 'object', properties: { tid: id, nid: id }, required: ['tid', 'nid'] } as const;
