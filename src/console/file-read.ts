/** A chosen file as text (PEM, a Base64 request, CSV). */
export function readFileText(file: File): Promise<string> {
  return file.text();
}

/** A chosen file as Base64 (PKCS#12 is binary; the API takes it Base64 in JSON). */
export async function readFileBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  // Chunks: String.fromCharCode with a huge spread would overflow the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** PKCS#12 by name, or by content when the name says nothing (DER starts with a SEQUENCE, 0x30). */
export async function looksLikePkcs12(file: File): Promise<boolean> {
  if (/\.(p12|pfx)$/i.test(file.name)) return true;
  if (/\.(pem|crt|cer|txt)$/i.test(file.name)) return false;
  const head = new Uint8Array(await file.slice(0, 1).arrayBuffer());
  return head[0] === 0x30;
}
