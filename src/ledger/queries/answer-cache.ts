/**
 * Trace answers are a function of the log: they are kept per (kind, code) until the log grows.
 * The demo's and a busy product's answers are then computed once per change, not per scan. A
 * best-effort speed-up, outside the log's guarantees: a miss computes the answer again.
 */
import { canonicalCode } from '../../core/codes.js';
import type { LedgerStore } from '../../store/store.js';

export interface AnswerCache {
  /** The answer of `kind` about `code`, computed (in one read transaction) unless kept since the log last grew. */
  get<T>(kind: string, code: string, compute: () => T): T;
}

/** One answer about a thousand-ancestor product is megabytes: a bounded number are kept. */
const ANSWERS_MAX = 256;

export function createAnswerCache(store: Pick<LedgerStore, 'readTransaction'>, logSize: () => number): AnswerCache {
  const answers = new Map<string, unknown>();
  let answersAt = -1;
  return {
    get<T>(kind: string, code: string, compute: () => T): T {
      if (answersAt !== logSize()) {
        answers.clear();
        answersAt = logSize();
      }
      // By canonical code (any spelling finds the answer). An invalid code fails in compute() with its reason.
      let canonical: string;
      try {
        canonical = canonicalCode(code);
      } catch {
        return store.readTransaction(compute);
      }
      const key = `${kind}\u0000${canonical}`;
      let v = answers.get(key) as T | undefined;
      if (v === undefined) {
        v = store.readTransaction(compute);
        if (answers.size >= ANSWERS_MAX) answers.delete(answers.keys().next().value!);
        answers.set(key, v);
      }
      return v;
    },
  };
}
