/**
 * The `Last-Event-ID` header value for an id. The spec sends it UTF-8 encoded, but a fetch header
 * value is a ByteString (one char per byte, else fetch throws): write the UTF-8 bytes as chars.
 */
export function lastEventIdHeader(id: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(id)) return id;
  let out = '';
  for (const byte of new TextEncoder().encode(id)) out += String.fromCharCode(byte);
  return out;
}
