/** Shared fixtures of the traceability tests: a ledger with one participant of every role. */
import { toBase64Url } from '../src/core/bytes.js';
import { gs1CheckDigit } from '../src/core/codes.js';
import type { LedgerOptions, Receipt } from '../src/ledger.js';
import { makeLedger, party, type Party, type TestLedger } from './helpers.js';

export interface World {
  readonly L: TestLedger;
  /** supplier */
  readonly sup: Party;
  /** second supplier */
  readonly sup2: Party;
  /** manufacturer */
  readonly man: Party;
  /** second manufacturer */
  readonly man2: Party;
  /** carrier */
  readonly car: Party;
  /** inspector */
  readonly lab: Party;
  /** retailer */
  readonly ret: Party;
  /** Sign and submit one entry as `who`; resolves to its receipt. */
  submit(who: Party, fields: Record<string, unknown> & { type: string }): Promise<Receipt>;
  /** Payload type of the record at seq. */
  typeAt(seq: number): string;
}

export const ROLES: Record<string, string[]> = {
  sup: ['supplier'],
  sup2: ['supplier'],
  man: ['manufacturer'],
  man2: ['manufacturer'],
  car: ['carrier'],
  lab: ['inspector'],
  ret: ['retailer'],
};

export async function makeWorld(extra: Partial<LedgerOptions> = {}): Promise<World> {
  const L = await makeLedger(extra);
  const parties = Object.fromEntries(Object.keys(ROLES).map((id) => [id, party(id)])) as Record<keyof typeof ROLES, Party>;
  await L.ledger.submit(
    Object.entries(parties).map(([id, p]) =>
      L.sign(L.operator, { type: 'participant.register', participant: id, name: `${id.toUpperCase()} Ltd`, roles: ROLES[id], publicKey: toBase64Url(p.publicKey) }),
    ),
  );
  const w: World = {
    L,
    sup: parties['sup']!,
    sup2: parties['sup2']!,
    man: parties['man']!,
    man2: parties['man2']!,
    car: parties['car']!,
    lab: parties['lab']!,
    ret: parties['ret']!,
    async submit(who, fields) {
      const [r] = await L.ledger.submit([L.sign(who, fields)]);
      return r!;
    },
    typeAt: (seq) => L.ledger.record(seq).record.entry.payload.type,
  };
  return w;
}

/** A GS1 code with a valid check digit: `/01/<GTIN-14>` from 13 digits, `/00/<SSCC>` from 17. */
export const gtin = (body13: string): string => body13 + gs1CheckDigit(body13);
export const sscc = (body17: string): string => `https://id.gs1.org/00/${body17}${gs1CheckDigit(body17)}`;

export const kg = (value: number) => ({ value, unit: 'KGM' });
export const pcs = (value: number) => ({ value, unit: 'H87' });

/** A commissionable object spec. */
export function spec(code: string, quantity: { value: number; unit: string }, extra: Record<string, unknown> = {}) {
  return { code, level: 'material', product: { name: `Product ${code.split(':').at(-1)}` }, quantity, ...extra };
}

export const commission = (...objects: Array<ReturnType<typeof spec>>) => ({ type: 'commission', objects });
export const ship = (to: string, objects: Array<{ code: string; quantity: { value: number; unit: string } }>, extra: Record<string, unknown> = {}) => ({
  type: 'ship',
  to,
  objects,
  ...extra,
});
export const receive = (shipment: string, objects: Array<{ code: string; quantity: { value: number; unit: string } }>, extra: Record<string, unknown> = {}) => ({
  type: 'receive',
  shipment,
  objects,
  ...extra,
});
export const item = (code: string, quantity: { value: number; unit: string }) => ({ code, quantity });
export const transform = (
  inputs: Array<{ code: string; quantity: { value: number; unit: string } }>,
  outputs: Array<ReturnType<typeof spec> & { allocation?: number }>,
  extra: Record<string, unknown> = {},
) => ({ type: 'transform', inputs, outputs, ...extra });
export const retract = (target: string, extra: Record<string, unknown> = {}) => ({ type: 'retract', target, reason: 'did not occur', ...extra });

/** Micro holdings of codes as [code, holder, value] rows (what `holdings` stores, > 0 only). */
export function holdings(L: TestLedger, codes: readonly string[]): Array<[string, string, number]> {
  return L.store.holdingsOf(codes).map((h) => [h.code, h.holder, h.quantity / 1e6]);
}
