/** A byte stream split into the lines `verifyBundle` takes (src/audit/verify.ts). */
import { concatBytes } from '../../core/bytes.js';
import { MAX_LINE_BYTES } from './report.js';

/**
 * Splits a byte stream into lines as `verifyBundle` takes them (at every "\n"; the text after the
 * last one, usually "", comes last), decoding UTF-8 (malformed bytes become U+FFFD, which then
 * fails the end line's digest). A line longer than `maxLineBytes` is never held whole: only its
 * first maxLineBytes + 1 bytes are kept, enough for the verifier to report it.
 */
export async function* bundleLines(chunks: AsyncIterable<Uint8Array>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let parts: Uint8Array[] = [];
  let length = 0;
  const take = (piece: Uint8Array, copy: boolean) => {
    if (length > maxLineBytes || piece.length === 0) return;
    const keep = length + piece.length > maxLineBytes ? piece.subarray(0, maxLineBytes + 1 - length) : piece;
    parts.push(copy ? keep.slice() : keep);
    length += keep.length;
  };
  const line = (): string => {
    const text = parts.length === 0 ? '' : decoder.decode(parts.length === 1 ? parts[0]! : concatBytes(...parts));
    parts = [];
    length = 0;
    return text;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) {
        take(chunk.subarray(start), true);
        break;
      }
      take(chunk.subarray(start, nl), false);
      yield line();
      start = nl + 1;
    }
  }
  yield line();
}
