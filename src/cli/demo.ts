/**
 * The demo cluster: participants from fixtures/demo/participants.json with their own keys under
 * keys/, and an aluminium window supply chain (fixtures/demo/chain.json) from alumina to the end
 * customer. Every demo entry is signed by its participant's key and submitted through the public
 * HTTP API of the running service, exactly as a real participant would. Entries have fixed ids and
 * times, so loading the demo again is idempotent (each resubmission gets its original receipt).
 *
 * The chain is declarative: each entry is the payload its signer signs, except that a string
 * "@<entry id>" stands for the leaf hash of that earlier entry (a receipt names its shipment, a
 * track its shipment), which only the ledger knows once the entry is sequenced.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { toBase64Url } from '../core/bytes.js';
import { canonicalCode } from '../core/codes.js';
import { signEntry, type Entry, type PayloadBase } from '../core/entry.js';
import { Code, EntryId, ParticipantId, Payload } from '../domain/schemas.js';
import type { Receipt } from '../ledger.js';
import { nodeEd25519 } from '../platform/node-crypto.js';
import { readPrivateKey, readPublicKey } from './keyfiles.js';
import { operatorKeyPath } from './setup.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHAIN_FILE = 'fixtures/demo/chain.json';

export interface DemoParticipant {
  readonly id: string;
  readonly name: string;
  readonly roles: string[];
  readonly gln: string;
  /** GS1 Company Prefixes: the demo's GTINs and SSCCs are numbered under them. */
  readonly prefixes: string[];
  readonly publicKeyFile: string;
  readonly privateKeyFile: string;
}

export function demoParticipants(): DemoParticipant[] {
  return JSON.parse(readFileSync(`${REPO_ROOT}fixtures/demo/participants.json`, 'utf8')) as DemoParticipant[];
}

const DEMO_TIME = '2026-11-02T08:00:00.000+08:00';

// ---------------------------------------------------------------------------------------------
// The chain fixture.

/** "@<entry id>": the leaf hash of an earlier chain entry. */
const REFERENCE = /^@([\x21-\x7e]{1,128})$/;

const ChainEntry = z.looseObject({ type: z.string(), id: EntryId, signer: ParticipantId, time: z.string() });
const ChainFile = z.strictObject({
  description: z.string().optional(),
  notes: z.array(z.string()).optional(),
  highlights: z.strictObject({
    greenFrameLot: Code,
    dataGapFrameLot: Code,
    recalledBilletLot: Code,
    recalledFrameLot: Code,
    failedInspectionLot: Code,
    pallet: Code,
    discrepancyLot: Code,
    discrepancyShipment: z.string().regex(REFERENCE, 'discrepancyShipment: "@<entry id>"'),
  }),
  entries: z.array(ChainEntry).min(1),
});

/** One chain entry: a payload whose "@<entry id>" strings are resolved at seeding time. */
export type DemoChainEntry = PayloadBase;

/**
 * The codes worth showing off after `serve --demo` (e.g. as resolver URLs and QR codes). All
 * codes are in canonical form (`https://id.gs1.org/...` or `urn:trace:...`).
 */
export interface DemoHighlights {
  /** Finished window lot with clean provenance: every inspection upstream passed, nothing recalled, no data gap. The QR demo. */
  readonly greenFrameLot: string;
  /** Finished window lot with clean provenance whose gaskets have no declared footprint (a PACT data gap). */
  readonly dataGapFrameLot: string;
  /** Billet lot recalled by its caster after it had gone into windows that reached customers. */
  readonly recalledBilletLot: string;
  /** Finished window lot made from the recalled billet: its upstream shows the recall and the failed inspection. */
  readonly recalledFrameLot: string;
  /** Lot with the failed inspection (composition out of EN 573-3 limits). */
  readonly failedInspectionLot: string;
  /** A pallet (SSCC) packed by the window maker, shipped, received and unpacked by the distributor. */
  readonly pallet: string;
  /** The receipt with a quantity discrepancy (2 windows broken in transit, condition damaged). */
  readonly discrepancy: {
    /** The lot short-received. */
    readonly lot: string;
    /** Id of the ship entry (signed by `shipSigner`). */
    readonly shipEntryId: string;
    readonly shipSigner: string;
    /** Leaf hash (hex) of the ship entry, which identifies the shipment; null until the demo is seeded. */
    readonly shipLeafHash: string | null;
  };
}

export interface DemoChain {
  readonly entries: readonly DemoChainEntry[];
  readonly highlights: DemoHighlights;
}

function referencesIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    const m = REFERENCE.exec(value);
    if (m) out.push(m[1]!);
  } else if (Array.isArray(value)) {
    value.forEach((v) => referencesIn(v, out));
  } else if (value !== null && typeof value === 'object') {
    Object.values(value).forEach((v) => referencesIn(v, out));
  }
  return out;
}

function resolveReferences(value: unknown, leafHashOf: (id: string) => string): unknown {
  if (typeof value === 'string') {
    const m = REFERENCE.exec(value);
    return m ? leafHashOf(m[1]!) : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveReferences(v, leafHashOf));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, leafHashOf)]));
  }
  return value;
}

/**
 * Read and check fixtures/demo/chain.json: entry ids are unique in the file, every reference
 * names an earlier entry, every signer is a demo participant. The payloads themselves are checked
 * by the ledger's schemas when seeded.
 * @throws Error naming the offending entry when the fixture is inconsistent
 */
export function demoChain(): DemoChain {
  const parsed = ChainFile.safeParse(JSON.parse(readFileSync(`${REPO_ROOT}${CHAIN_FILE}`, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${CHAIN_FILE}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const { entries, highlights: h } = parsed.data;
  const participants = new Set(demoParticipants().map((p) => p.id));
  const seen = new Map<string, DemoChainEntry>();
  for (const [i, e] of entries.entries()) {
    const where = `${CHAIN_FILE}: entries[${i}] "${e.id}"`;
    if (seen.has(e.id)) throw new Error(`${where}: id used twice`);
    if (!participants.has(e.signer)) throw new Error(`${where}: signer "${e.signer}" is not in fixtures/demo/participants.json`);
    for (const ref of referencesIn(e)) {
      if (!seen.has(ref)) throw new Error(`${where}: "@${ref}" does not name an earlier entry`);
    }
    seen.set(e.id, e);
  }
  const shipId = REFERENCE.exec(h.discrepancyShipment)![1]!;
  const ship = seen.get(shipId);
  if (ship?.type !== 'ship') throw new Error(`${CHAIN_FILE}: highlights.discrepancyShipment: "@${shipId}" is not a ship entry`);
  return {
    entries,
    highlights: {
      greenFrameLot: canonicalCode(h.greenFrameLot),
      dataGapFrameLot: canonicalCode(h.dataGapFrameLot),
      recalledBilletLot: canonicalCode(h.recalledBilletLot),
      recalledFrameLot: canonicalCode(h.recalledFrameLot),
      failedInspectionLot: canonicalCode(h.failedInspectionLot),
      pallet: canonicalCode(h.pallet),
      discrepancy: { lot: canonicalCode(h.discrepancyLot), shipEntryId: shipId, shipSigner: ship.signer, shipLeafHash: null },
    },
  };
}

/**
 * The demo's interesting codes, for printing resolver URLs after `serve --demo`. Static: the
 * discrepancy's `shipLeafHash` is null here; `seedDemo` returns the same highlights with it filled
 * in from the ship entry's receipt (a leaf hash covers the server's recordedAt, so it differs
 * between ledgers).
 */
export function demoHighlights(): DemoHighlights {
  return demoChain().highlights;
}

// ---------------------------------------------------------------------------------------------
// Seeding.

export interface DemoSeedReceipt {
  readonly id: string;
  readonly signer: string;
  readonly type: string;
  readonly receipt: Receipt;
}

export interface DemoSeed {
  /** Receipts of the operator's participant registrations, in fixture order. */
  readonly registrations: readonly Receipt[];
  /** Receipts of the chain entries in fixture order; seeding again returns the same ones. */
  readonly chain: readonly DemoSeedReceipt[];
  readonly highlights: DemoHighlights;
}

/** Entries per POST: the ledger's default batch limit is 1000; smaller batches show progress. */
const MAX_BATCH = 50;

interface Problem {
  readonly code?: string;
  readonly detail?: string;
  readonly index?: number;
}

async function post(base: string, entries: readonly Entry[], what: (index: number) => string): Promise<Receipt[]> {
  const res = await fetch(`${base}/v1/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entries) });
  const text = await res.text();
  if (!res.ok) {
    let problem: Problem = {};
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      // not problem+json: report the raw text below
    }
    const who = typeof problem.index === 'number' ? ` ${what(problem.index)}` : '';
    throw new Error(`demo entry${who} rejected: ${res.status} ${problem.code ?? ''} ${problem.detail ?? text}`.replace(/\s+/g, ' ').trim());
  }
  return JSON.parse(text) as Receipt[];
}

/**
 * Load the demo into the service at `base`: register the participants (signed with the operator
 * key beside the database `db`), then submit every chain entry signed by its own participant's key,
 * in fixture order, batching consecutive entries until one needs the receipt of an entry in the
 * pending batch. Idempotent: a second run resubmits identical entries and changes nothing.
 * @throws Error naming the rejected entry when the service refuses one
 */
export async function seedDemo(base: string, db: string, log: (s: string) => void): Promise<DemoSeed> {
  const operatorSeed = readPrivateKey(operatorKeyPath(db));
  const participants = demoParticipants();
  const registrations = participants.map((p) =>
    signEntry(
      {
        type: 'participant.register',
        id: `demo-register-${p.id}`,
        signer: 'operator',
        time: DEMO_TIME,
        participant: p.id,
        name: p.name,
        roles: p.roles,
        gln: p.gln,
        prefixes: p.prefixes,
        publicKey: toBase64Url(readPublicKey(`${REPO_ROOT}${p.publicKeyFile}`)),
      },
      operatorSeed,
      nodeEd25519,
    ),
  );
  const registered = await post(base, registrations, (i) => `"demo-register-${participants[i]?.id}"`);
  log(`demo: ${participants.length} participants registered (keys in keys/)`);

  const chain = demoChain();
  const keyFiles = new Map(participants.map((p) => [p.id, `${REPO_ROOT}${p.privateKeyFile}`]));
  const seeds = new Map<string, Uint8Array>();
  const seedOf = (signer: string): Uint8Array => {
    let seed = seeds.get(signer);
    if (seed === undefined) {
      seed = readPrivateKey(keyFiles.get(signer)!);
      seeds.set(signer, seed);
    }
    return seed;
  };

  const receipts = new Map<string, Receipt>();
  const done: DemoSeedReceipt[] = [];
  let pending: DemoChainEntry[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const signed = batch.map((p) => {
      const payload = resolveReferences(p, (id) => receipts.get(id)!.leafHash) as DemoChainEntry;
      // The ledger checks this too; checking first names the fixture entry instead of a batch index.
      const valid = Payload.safeParse(payload);
      if (!valid.success) {
        const issue = valid.error.issues[0]!;
        throw new Error(`${CHAIN_FILE}: entry "${p.id}": ${issue.path.join('.')}: ${issue.message}`);
      }
      return signEntry(payload, seedOf(p.signer), nodeEd25519);
    });
    const got = await post(base, signed, (i) => `"${batch[i]?.id}" (${batch[i]?.type} by ${batch[i]?.signer})`);
    batch.forEach((p, i) => {
      receipts.set(p.id, got[i]!);
      done.push({ id: p.id, signer: p.signer, type: p.type, receipt: got[i]! });
    });
    log(`demo: ${done.length}/${chain.entries.length} supply-chain entries accepted (through ${batch.at(-1)!.time.slice(0, 10)})`);
  };
  for (const e of chain.entries) {
    const needsPending = referencesIn(e).some((id) => !receipts.has(id));
    if (needsPending || pending.length >= MAX_BATCH) await flush();
    pending.push(e);
  }
  await flush();

  const first = done[0]!.receipt.seq;
  const last = done.at(-1)!.receipt.seq;
  log(`demo: aluminium window chain at seq ${first}-${last}, alumina to end customers, with a recall, a failed inspection, a data gap and a damaged delivery`);
  const h = chain.highlights;
  return {
    registrations: registered,
    chain: done,
    highlights: { ...h, discrepancy: { ...h.discrepancy, shipLeafHash: receipts.get(h.discrepancy.shipEntryId)!.leafHash } },
  };
}
