/**
 * End customers as holders (docs/events.md "State rules"): end customers are not participants, so
 * a `track` with objects and status `delivered` hands the quantities to the holder
 * `customer:<deliverer>/<recipient>`, and a `returned` takes them back.
 */
export const CUSTOMER_PREFIX = 'customer:';

/**
 * The holder standing for an end customer served by `deliverer`: `customer:<deliverer>/<recipient>`.
 * Keyed by the deliverer, so only the participant that delivered can sign the customer's return.
 */
export const customerHolder = (deliverer: string, recipient: string): string => `${CUSTOMER_PREFIX}${deliverer}/${recipient}`;

/** Deliverer and recipient of a customer holder, or undefined for a participant. */
export function parseCustomerHolder(holder: string): { deliverer: string; recipient: string } | undefined {
  if (!holder.startsWith(CUSTOMER_PREFIX)) return undefined;
  const rest = holder.slice(CUSTOMER_PREFIX.length);
  const slash = rest.indexOf('/');
  return { deliverer: rest.slice(0, slash), recipient: rest.slice(slash + 1) };
}
