/**
 * A small bounded cache of rendered QR PNGs: drawing one costs milliseconds of event loop (seconds
 * at the old 4096 px cap, issue 16), and labels are fetched again and again for the same codes.
 * A best-effort speed-up only: a miss renders, the answer is the same either way.
 */
export interface QrPngCache {
  /** The PNG for `key`, rendered by `render` unless cached; concurrent misses on one key render once. */
  get(key: string, render: () => Promise<Buffer>): Promise<Buffer>;
  /** How many times `render` was called (for tests and metrics). */
  readonly renders: number;
}

/** Enough for every label of a busy printing day; at most ~30 KB each at the 1024 px cap. */
export const QR_PNG_CACHE_ENTRIES = 256;

/**
 * A least-recently-used cache of at most `capacity` images (a Map keeps insertion order: a hit
 * is moved to the end, the first entry is the one to evict).
 * @throws RangeError when `capacity` is not a positive integer.
 */
export function createQrPngCache(capacity = QR_PNG_CACHE_ENTRIES): QrPngCache {
  if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  const entries = new Map<string, Promise<Buffer>>();
  let renders = 0;
  return {
    get(key, render) {
      const hit = entries.get(key);
      if (hit !== undefined) {
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      renders++;
      const made = render();
      entries.set(key, made);
      // A failed render (a size too small for the code) is not kept: the error is the caller's.
      made.catch(() => entries.get(key) === made && entries.delete(key));
      if (entries.size > capacity) entries.delete(entries.keys().next().value as string);
      return made;
    },
    get renders() {
      return renders;
    },
  };
}
