/**
 * Quantity values and the ledger's integer units (docs/events.md "Codes and quantities"): a value
 * is recorded as a whole number of millionths of its unit ("micro"), so mass balance is integer
 * arithmetic. Only a value that is exactly such a number, at least one of them, is accepted: a value
 * that would round (to 0 in particular, where "holds at least 0" is true of anyone) is refused
 * rather than recorded as something the signer did not sign.
 */
import { LedgerError } from '../core/errors.js';

export const MICRO = 1_000_000;
/** Largest value of one quantity: 1e15 micro units, below Number.MAX_SAFE_INTEGER (2^53 - 1). */
export const MAX_QUANTITY = 1e9;

/**
 * The micro units `value` stands for exactly, or undefined when it is not a whole number of them
 * in [1, MAX_QUANTITY * MICRO].
 *
 * Exactness: for a decimal k / 10^6 with k ≤ 10^15, the double nearest to it times 10^6 is within
 * 0.2 of k, so Math.round recovers k, and k / 10^6 rounds back to that same double (IEEE 754
 * division is correctly rounded). Any other double (more decimals, below 0.000001) fails the
 * round trip. JSON carries no more than a double (RFC 8785 §3.2.2.3 serialises it back the same).
 */
export function exactMicro(value: number): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0) || value > MAX_QUANTITY) return undefined;
  const micro = Math.round(value * MICRO);
  return micro >= 1 && micro / MICRO === value ? micro : undefined;
}

/**
 * Micro units of a quantity from a payload (the schema already checked it; this is the rules' own guard).
 * @throws LedgerError TRACE_QUANTITY_INVALID
 */
export function toMicro(q: { readonly value: number; readonly unit: string }, where = 'quantity'): number {
  const micro = exactMicro(q.value);
  if (micro === undefined) {
    throw new LedgerError('TRACE_QUANTITY_INVALID', `${where}: ${q.value} ${q.unit} is not a whole number of millionths of ${q.unit} between 0.000001 and ${MAX_QUANTITY}`);
  }
  return micro;
}

export const fromMicro = (m: number): number => m / MICRO;
