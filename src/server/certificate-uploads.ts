import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { looksLikePem } from '../pki/pem.ts';
import { ServiceError } from '../service/errors.ts';

/**
 * A certificate file is at most this big, raw or as a multipart part. A push certificate is
 * ~2 KB and a PKCS#12 ~4 KB; the bound keeps the file's Base64 within the JSON shape's 65,536
 * characters, so a raw upload and its JSON twin are limited alike.
 */
export const CERTIFICATE_UPLOAD_LIMIT = 48 * 1024;

/** The upload, whatever its media type, as the JSON body the route's schema describes. */
export type UploadToJson = (file: Buffer, fields: { password?: string; force?: boolean }) => Record<string, unknown>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route takes a certificate file as sent, besides JSON: how it becomes the JSON body. */
    certificateUpload?: UploadToJson;
  }
}

/** The media types of a certificate file sent as it is (multipart aside). */
const FILE_TYPES = new Set(['application/x-pem-file', 'application/pkix-cert', 'text/plain']);

/**
 * Let routes whose config names `certificateUpload` take a certificate file as curl and
 * browsers send it, besides JSON: `application/x-pem-file` (PEM text), `application/pkix-cert`
 * (DER), `text/plain` (Base64 of DER, or PEM), and `multipart/form-data` with a `file` part and
 * optional `password` and `force` fields (`curl -F file=@push.p12 -F password=…`). Before
 * validation the upload becomes the route's JSON body, so its schema checks it like any JSON
 * request and the handler reads one shape. Other routes refuse these types (415).
 */
export async function acceptCertificateUploads(app: FastifyInstance): Promise<void> {
  app.addContentTypeParser('application/x-pem-file', { parseAs: 'string', bodyLimit: CERTIFICATE_UPLOAD_LIMIT }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('application/pkix-cert', { parseAs: 'buffer', bodyLimit: CERTIFICATE_UPLOAD_LIMIT }, (_request, body, done) => done(null, body));
  await app.register(multipart, {
    throwFileSizeLimit: true,
    // One file, two short fields; a password over the schema's 1,024 characters still fails it.
    limits: { fileSize: CERTIFICATE_UPLOAD_LIMIT, files: 1, fields: 2, parts: 3, fieldSize: 4096 },
  });
}

/** The preValidation step: a certificate upload becomes its route's JSON body; elsewhere it is refused. */
export async function certificateUploadAsJson(request: FastifyRequest): Promise<void> {
  const type = mediaType(request);
  const multipartUpload = request.isMultipart();
  if (!multipartUpload && !FILE_TYPES.has(type)) return;
  const toJson = request.routeOptions.config.certificateUpload;
  if (!toJson) {
    if (type === 'text/plain') return; // other routes read text themselves (device imports refuse it by name)
    throw new ServiceError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type} is not accepted here; send application/json (only the push certificate and MPNS credential uploads take certificate files).`);
  }
  if (multipartUpload) request.body = toJson(...(await readMultipart(request)));
  else request.body = toJson(Buffer.isBuffer(request.body) ? request.body : Buffer.from(String(request.body ?? '')), {});
}

/** The push certificate's JSON shape: PEM or Base64 as text, binary (DER, PKCS#12) as Base64; the import tells them apart. */
export const pushCertificateJson: UploadToJson = (file, fields) => ({ certificate: isText(file) ? file.toString('utf8') : file.toString('base64'), ...fields });

/** The MPNS credential's JSON shape: PEM holding the certificate and its key, or a PKCS#12 (binary or Base64) with its password. */
export const mpnsCredentialJson: UploadToJson = (file, fields) => (looksLikePem(file)
  ? { certificate: file.toString('utf8'), key: file.toString('utf8') }
  : { pkcs12: isText(file) ? file.toString('latin1').trim() : file.toString('base64'), ...(fields.password !== undefined ? { password: fields.password } : {}) });

function mediaType(request: FastifyRequest): string {
  return String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** PEM, or Base64 text (DER never is: its second byte is not ASCII). */
function isText(file: Buffer): boolean {
  return looksLikePem(file) || /^[\sA-Za-z0-9+/=]*$/.test(file.toString('latin1'));
}

async function readMultipart(request: FastifyRequest): Promise<Parameters<UploadToJson>> {
  let file: Buffer | undefined;
  const fields: { password?: string; force?: boolean } = {};
  for await (const part of request.parts()) {
    if (part.type === 'file' && part.fieldname === 'file' && file === undefined) file = await part.toBuffer();
    else if (part.type === 'field' && part.fieldname === 'password' && fields.password === undefined) fields.password = String(part.value);
    else if (part.type === 'field' && part.fieldname === 'force' && fields.force === undefined) fields.force = flag(String(part.value));
    else throw multipartInvalid(`The multipart part "${part.fieldname.slice(0, 40)}" is not one this endpoint takes, or comes twice.`);
  }
  if (file === undefined) throw multipartInvalid('The multipart upload has no "file" part.');
  return [file, fields];
}

function flag(value: string): boolean {
  if (value !== 'true' && value !== 'false') throw multipartInvalid(`The "force" field is true or false, not ${JSON.stringify(value.slice(0, 20))}.`);
  return value === 'true';
}

function multipartInvalid(what: string): ServiceError {
  return new ServiceError('UPLOAD_MULTIPART_INVALID', `${what} Send the certificate as the "file" part, with its password as the "password" field when it is a PKCS#12 (curl -F file=@push.p12 -F password=…).`);
}
