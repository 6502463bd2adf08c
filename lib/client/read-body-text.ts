/** The start of an error response's body, for the error message; the rest is discarded. */
export async function readBodyText(response: Response, maxBytes = 64 * 1024): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  try {
    while (bytes < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      text += decoder.decode(value.subarray(0, Math.max(0, value.byteLength - (bytes - maxBytes))), { stream: true });
    }
    return text + decoder.decode();
  } catch {
    return text;
  } finally {
    // Stops a long or endless body from holding the connection.
    reader.cancel().catch(() => undefined);
  }
}
