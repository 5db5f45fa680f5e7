/**
 * The trace queries (README "HTTP API"): upstream provenance, downstream impact, history and
 * the cradle-to-gate footprint roll-up, over a read interface of the projections. Every fact in an
 * answer names the seq of the entry that proves it, so a reader can fetch that entry and its
 * inclusion proof and check it against a signed checkpoint.
 *
 * One module per query under trace/ (upstream, downstream, shipments, history, footprint, pact),
 * with what their answers share in trace/answer.ts and what they read in trace/reader.ts; this
 * module only re-exports them.
 */
export type { EdgeRow, HoldingRow, TraceReader, TraceTouch } from './trace/reader.js';
export { requireCode } from './trace/answer.js';
export { footprintCalculator, type UnitFootprint } from './trace/footprint.js';
export { upstream, type UpstreamNode } from './trace/upstream.js';
export { downstream } from './trace/downstream.js';
export { shipmentAt } from './trace/shipments.js';
export { history } from './trace/history.js';
export { pactFootprint } from './trace/pact.js';
