/**
 * The demo supply chain (fixtures/demo) submitted in-process to any ledger: the participants'
 * registrations, then the 54 chain entries in batches (an entry that names an earlier one by its
 * leaf hash waits for that one's receipt), as `serve --demo` seeds it over HTTP.
 */
import { toBase64Url } from '../../src/core/bytes.js';
import { signEntry, type PayloadBase } from '../../src/core/entry.js';
import { readPrivateKey, readPublicKey } from '../../src/cli/keyfiles.js';
import { demoChain, demoParticipants, REPO_ROOT } from '../../src/cli/demo.js';
import type { Ledger, Receipt } from '../../src/ledger.js';

const REFERENCE = /^@([\x21-\x7e]{1,128})$/;

function resolve(value: unknown, leafHashOf: (id: string) => string | undefined): unknown {
  if (typeof value === 'string') {
    const m = REFERENCE.exec(value);
    return m ? leafHashOf(m[1]!) : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, leafHashOf));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, leafHashOf)]));
  return value;
}

const unresolved = (value: unknown, known: Map<string, Receipt>): boolean =>
  JSON.stringify(value).match(/"@[\x21-\x7e]{1,128}"/g)?.some((r) => !known.has(r.slice(2, -1))) ?? false;

/** Submit the demo to `ledger` (genesis done; `operatorSeed` registers). Returns the receipts by entry id. */
export async function submitDemo(ledger: Ledger, operatorSeed: Uint8Array, batchSize = 8): Promise<Map<string, Receipt>> {
  const time = '2026-11-02T08:00:00.000+08:00';
  const participants = demoParticipants();
  await ledger.submit(
    participants.map((p) =>
      signEntry(
        {
          type: 'participant.register', id: `demo-register-${p.id}`, signer: 'operator', time, participant: p.id, name: p.name,
          roles: p.roles, gln: p.gln, prefixes: p.prefixes, publicKey: toBase64Url(readPublicKey(`${REPO_ROOT}${p.publicKeyFile}`)),
        } as PayloadBase,
        operatorSeed,
      ),
    ),
  );
  const seeds = new Map(participants.map((p) => [p.id, readPrivateKey(`${REPO_ROOT}${p.privateKeyFile}`)]));
  const receipts = new Map<string, Receipt>();
  let pending: PayloadBase[] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const signed = batch.map((p) => signEntry(resolve(p, (id) => receipts.get(id)?.leafHash) as PayloadBase, seeds.get(p.signer)!));
    const got = await ledger.submit(signed);
    batch.forEach((p, i) => receipts.set(p.id, got[i]!));
  };
  for (const e of demoChain().entries) {
    if (pending.length >= batchSize || (pending.length > 0 && unresolved(e, receipts))) await flush();
    pending.push(e);
  }
  await flush();
  return receipts;
}
