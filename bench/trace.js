// Traceability targets of issue 3, measured on the real code (dist/, built by `npm run bench`):
//   traceUpstream    ledger.upstream(code) of a finished product with ≥ 1,000 ancestors
//   traceDownstream  ledger.downstream(code) of a raw-material lot (recall impact)
//   traceFootprint   ledger.footprint(code) (PACT roll-up) of the same finished product
//   domainIngest     in-process ingest of domain entries vs the same harness with core entries
// on a generated ledger of 1,000,000 entries (TRACE_BENCH_ENTRIES=N for a smaller one).
//
// Run only this part:   node --expose-gc bench/trace.js        (= bench/run.js --trace-only)
// Everything:           npm run bench
//
// The generated ledger is cached in bench/out/trace-v<GEN_VERSION>-<entries>/ (git-ignored) and
// reused when present; delete that directory (or bump GEN_VERSION when the generator changes) to
// build it again. Building it signs every entry with the participant's real key and submits it
// through ledger.submit (verify → rules → sequence → commit → fsync), in batches of up to 1,000.
//
// The cluster (GEN_VERSION 1): 200 participants (60 suppliers, 126 manufacturers, 6 inspection
// labs, 4 carriers, 4 distributors). Independent product families, each 11 levels of lots
// (raw-material lots commissioned at level 0, ten transform steps, finished products at level 10):
// every lot above level 0 is the output of a transform with 2-5 inputs from the level below, each
// input consumed partially (a lot feeds up to 5 transforms, so ancestries are DAGs, not trees).
// Levels are made by a chain of 3-6 manufacturers; lots travel between them by ship → receive
// (some tracked in transit by the carrier, 1 % with a short receipt); a quarter of the lots are
// inspected (by their holder or a lab, 3 % fail); finished lots go to a distributor, half of them
// are delivered in part to customers, and 1 % of the families recall a finished lot. Normal
// families have ~130 lots; three "flagship" families (at 10 %, 50 % and 90 % of the log) have 240
// raw lots, 150 lots per intermediate level and 40 finished products: the targets query the one
// in the middle of the log.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign as cryptoSign, randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initDataDir, openDataDir } from '../dist/cli/setup.js';
import { openLedger } from '../dist/ledger.js';
import { readPrivateKey } from '../dist/cli/keyfiles.js';
import { signingMessage } from '../dist/core/entry.js';
import { keyIdOf } from '../dist/core/keys.js';
import { nodeEd25519 } from '../dist/platform/node-crypto.js';
import { makeDataDir, makeEntries } from './ledger.js';
import { SERVICE_NODE_FLAGS } from './lib.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'out');

/** Bump when the generator changes what it writes: the cache key includes it. */
export const GEN_VERSION = 1;
export const FULL_ENTRIES = 1_000_000;
const ORIGIN = 'bench.trace-ledger.local/trace';
const BATCH = 1000;

export function traceEntries() {
  const n = Number(process.env.TRACE_BENCH_ENTRIES || FULL_ENTRIES);
  if (!Number.isSafeInteger(n) || n < 10_000) throw new RangeError(`TRACE_BENCH_ENTRIES must be an integer ≥ 10000, got ${process.env.TRACE_BENCH_ENTRIES}`);
  return n;
}

export const cacheDir = (entries) => path.join(OUT, `trace-v${GEN_VERSION}-${entries}`);

/** The cached ledger's description, or null when it has not been generated (completely) yet. */
export function cachedLedger(entries = traceEntries()) {
  const dir = cacheDir(entries);
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    if (meta.version !== GEN_VERSION || meta.entries !== entries || !fs.existsSync(path.join(dir, 'ledger.db'))) return null;
    return { dir, db: path.join(dir, 'ledger.db'), meta };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- keys and signing

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const b64url = (b) => Buffer.from(b).toString('base64url');

function newKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { seed: Buffer.from(seed).toString('hex'), publicKey: Buffer.from(pub).toString('hex') };
}

/**
 * Signs payloads exactly as signEntry (docs/format.md "Entries": Ed25519 over the prefix and the JCS of
 * the payload, kid from the public key), with one cached KeyObject per participant: signEntry
 * derives the public key on every call and node-crypto.ts caches 16 private keys, which 200
 * round-robin signers defeat (see the report in RESULTS.md).
 */
function makeSigner(parties) {
  const keys = new Map(
    parties.map((p) => [
      p.id,
      {
        key: createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, Buffer.from(p.seed, 'hex')]), format: 'der', type: 'pkcs8' }),
        kid: keyIdOf(new Uint8Array(Buffer.from(p.publicKey, 'hex'))),
      },
    ]),
  );
  return (payload) => {
    const k = keys.get(payload.signer);
    if (k === undefined) throw new Error(`no key for ${payload.signer}`);
    const sig = cryptoSign(null, signingMessage(payload), k.key);
    return { payload, signature: { kid: k.kid, sig: sig.toString('base64url') } };
  };
}

// ---------------------------------------------------------------- deterministic randomness

function rngFrom(seed) {
  let a = seed >>> 0;
  const next = () => {
    // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    /** k distinct elements of arr. */
    sample(arr, k) {
      const a = arr.slice();
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(next() * (a.length - i));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a.slice(0, k);
    },
  };
}

// ---------------------------------------------------------------- the cluster

export const WORLD = { suppliers: 60, manufacturers: 126, labs: 6, carriers: 4, distributors: 4 };

function makeParticipants() {
  const group = (prefix, n, roles, digits) =>
    Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${String(i).padStart(digits, '0')}`, roles, ...newKeyPair() }));
  return [
    ...group('sup', WORLD.suppliers, ['supplier'], 3),
    ...group('mfr', WORLD.manufacturers, ['manufacturer'], 3),
    ...group('lab', WORLD.labs, ['inspector'], 1),
    ...group('car', WORLD.carriers, ['carrier'], 1),
    ...group('dist', WORLD.distributors, ['distributor'], 1),
  ];
}

const MATERIALS = [
  ['Aluminium ingot AlSi10Mg', 8.6, 15.2],
  ['Hot-rolled steel coil S355', 2.1, 0.9],
  ['Copper cathode Cu-ETP', 3.9, 2.8],
  ['PA66 GF30 granulate', 7.4, 6.1],
  ['Natural rubber compound', 1.8, 0.7],
  ['Float glass 4 mm', 1.2, 2.4],
  ['Lithium carbonate', 6.9, 9.5],
  ['Cotton yarn Ne 30', 4.1, 3.3],
];
const PRODUCTS = ['Pump housing', 'Gear unit', 'Bicycle frame', 'Battery module', 'E-motor stator', 'Window unit', 'Work jacket', 'Valve block'];
const PROCESSES = ['casting', 'forging', 'machining', 'heat treatment', 'surface coating', 'moulding', 'sub-assembly', 'welding', 'assembly', 'end-of-line test'];
const MEASUREMENTS = [
  ['tensile_strength', 'MPa', 280, 420],
  ['hardness', 'HB', 90, 140],
  ['dimension_deviation', 'mm', -0.05, 0.05],
  ['moisture', '%', 0, 0.2],
  ['leak_rate', 'mbar·l/s', 0, 0.001],
];
const LEVELS = 10; // transform steps: lots at levels 0 (raw) .. 10 (finished)
const USES = 5; // a lot is consumed by at most this many transforms, a fifth of it each
const SYNC = Symbol('sync'); // the stream needs the receipts of everything before it

const milli = (m) => m / 1000; // quantities are tracked in integer thousandths (exact in micro-units)
const qty = (m) => ({ value: milli(m), unit: 'KGM' });

/**
 * The entry stream: an endless sequence of payloads (with SYNC markers where a receive needs the
 * leaf hash of a shipment yielded before). `ctx.shipHash(id)` answers with the receipt's leaf
 * hash after a SYNC; `ctx.emitted()` says how many payloads were taken so far.
 */
function* clusterStream(world, ctx, opts) {
  const rng = rngFrom(0x7ace ^ GEN_VERSION);
  const suppliers = world.filter((p) => p.roles[0] === 'supplier').map((p) => p.id);
  const makers = world.filter((p) => p.roles[0] === 'manufacturer').map((p) => p.id);
  const labs = world.filter((p) => p.roles[0] === 'inspector').map((p) => p.id);
  const carriers = world.filter((p) => p.roles[0] === 'carrier').map((p) => p.id);
  const distributors = world.filter((p) => p.roles[0] === 'distributor').map((p) => p.id);
  let clock = opts.startTimeMs;
  let idn = 0;
  const base = (type, signer) => {
    clock += 20_000 + Math.floor(rng.next() * 20_000);
    return { type, id: `t${(idn++).toString(36)}`, signer, time: new Date(clock).toISOString() };
  };
  const flagshipAt = [0.1, 0.5, 0.9].map((f) => Math.floor(f * opts.total));
  let fid = 0;

  function newFamily(flagship) {
    const f = { id: fid++, flagship, levels: [] };
    let widths;
    if (flagship) widths = [240, ...Array(LEVELS - 1).fill(150), 40];
    else {
      widths = [rng.int(8, 24)];
      let w = rng.int(6, 18);
      for (let k = 1; k < LEVELS; k++) widths.push((w = Math.min(22, Math.max(4, w + rng.int(-3, 3)))));
      widths.push(Math.max(2, Math.round(w / 3)));
    }
    f.widths = widths;
    f.suppliers = rng.sample(suppliers, rng.int(1, 3));
    const chain = rng.sample(makers, rng.int(3, 6));
    f.makerOf = [null, ...Array.from({ length: LEVELS }, (_, k) => chain[Math.floor((k * chain.length) / LEVELS)])];
    f.material = rng.int(0, MATERIALS.length - 1);
    f.product = rng.pick(PRODUCTS);
    f.distributor = rng.pick(distributors);
    return f;
  }

  const inspect = (lot, signer) => {
    const [type, unit, lo, hi] = rng.pick(MEASUREMENTS);
    const fail = rng.chance(0.03);
    const value = Number((fail ? hi + (hi - lo) * 0.1 : lo + (hi - lo) * rng.next()).toFixed(4));
    return {
      ...base('inspect', signer),
      objects: [lot.code],
      result: fail ? 'fail' : 'pass',
      measurements: [{ type, value, unit, min: lo, max: hi }],
      standard: 'ISO 2859-1 sampling, level II',
      ...(fail ? { note: `${type} out of limits` } : {}),
    };
  };

  /** Ship lots (held by `from`) to `to` in shipments of ≤ 10; returns the shipments. */
  function ship(lots, from, to) {
    const out = [];
    for (let i = 0; i < lots.length; i += 10) {
      const items = lots.slice(i, i + 10);
      const carrier = rng.pick(carriers);
      const distanceKm = rng.int(20, 900);
      const p = {
        ...base('ship', from),
        to,
        carrier,
        objects: items.map((l) => ({ code: l.code, quantity: qty(l.held) })),
        expectedDelivery: new Date(clock + 36 * 3600_000).toISOString(),
        transport: { mode: 'road', distanceKm, emissionsKgCO2e: Number((distanceKm * 0.09).toFixed(2)) },
        reference: `DESADV-${idn}`,
      };
      for (const l of items) {
        l.shipped = l.held;
        l.held = 0;
      }
      out.push({ payload: p, items, to, carrier });
    }
    return out;
  }

  /** After a SYNC: carrier tracking for some, then the receipt (1 % short). */
  function* receive(shipments) {
    for (const s of shipments) {
      const hash = ctx.shipHash(s.payload.id);
      if (rng.chance(0.3)) yield { ...base('track', s.carrier), status: 'in_transit', shipment: hash, location: { name: `Hub ${s.carrier}` } };
      const short = rng.chance(0.01) ? 0 : -1;
      const objects = s.items.map((l, i) => {
        l.held = i === short ? l.shipped - Math.floor(l.shipped / 200) : l.shipped;
        l.uses = Math.min(l.uses, Math.floor(l.held / l.portion));
        return { code: l.code, quantity: qty(l.held) };
      });
      yield {
        ...base('receive', s.to),
        shipment: hash,
        objects,
        condition: short === 0 ? 'partial' : 'good',
        ...(short === 0 ? { note: 'one package short' } : {}),
      };
    }
  }

  const newLot = (f, k, i, producer, m) => ({ code: `urn:trace:${producer}:f${f.id}-l${k}-${i}`, qty: m, held: m, portion: Math.floor(m / USES), uses: USES, inputs: f.flagship ? [] : null });

  function levelZero(f) {
    const out = [];
    const [name, co2, kwh] = MATERIALS[f.material];
    f.levels[0] = [];
    for (let i = 0; i < f.widths[0]; i++) {
      const sup = f.suppliers[i % f.suppliers.length];
      const lot = newLot(f, 0, i, sup, rng.int(5_000, 20_000) * 1000);
      lot.holder = sup;
      f.levels[0].push(lot);
      const declared = !rng.chance(0.1); // 10 % of raw lots have no declared footprint: a data gap
      out.push({
        ...base('commission', sup),
        objects: [
          {
            code: lot.code,
            level: 'material',
            product: { name },
            quantity: qty(lot.qty),
            attributes: { family: `f${f.id}`, heat: `H${f.id}-${i}` },
            certificates: [{ scheme: 'ISO 9001', id: `QM-${sup}`, issuer: 'TÜV' }],
            ...(declared
              ? { footprint: { kgCO2ePerUnit: Number((co2 * (0.9 + 0.2 * rng.next())).toFixed(3)), electricityKWhPerUnit: kwh, primaryDataShare: rng.int(60, 100), standard: 'ISO 14067' } }
              : {}),
          },
        ],
        location: { name: `${sup} works` },
      });
      if (rng.chance(0.3)) out.push(inspect(lot, sup));
    }
    return out;
  }

  function transformLevel(f, k) {
    const out = [];
    const maker = f.makerOf[k];
    const below = f.levels[k - 1];
    let avail = below.map((_, i) => i).filter((i) => below[i].uses > 0 && below[i].holder === maker);
    f.levels[k] = [];
    for (let i = 0; i < f.widths[k] && avail.length > 0; i++) {
      const m = Math.min(avail.length, rng.int(2, 5));
      const picks = rng.sample(avail, m);
      let total = 0;
      const inputs = picks.map((j) => {
        const l = below[j];
        l.held -= l.portion;
        l.uses--;
        total += l.portion;
        return { code: l.code, quantity: qty(l.portion) };
      });
      avail = avail.filter((j) => below[j].uses > 0);
      const lot = newLot(f, k, i, maker, Math.floor(total * 0.9));
      lot.holder = maker;
      if (lot.inputs) lot.inputs = picks;
      f.levels[k].push(lot);
      const kwh = Number((milli(total) * (0.2 + rng.next())).toFixed(1));
      out.push({
        ...base('transform', maker),
        inputs,
        outputs: [
          {
            code: lot.code,
            level: k === LEVELS ? 'finished' : 'semi',
            product: { name: k === LEVELS ? f.product : `${f.product} part, step ${k}` },
            quantity: qty(lot.qty),
            attributes: { family: `f${f.id}`, step: k },
          },
        ],
        process: {
          name: PROCESSES[k - 1],
          electricityKWh: kwh,
          gridKgCO2ePerKWh: 0.38,
          waterM3: Number((milli(total) * 0.002).toFixed(3)),
          ...(rng.chance(0.3) ? { directEmissionsKgCO2e: Number((milli(total) * 0.05).toFixed(2)) } : {}),
        },
        location: { name: `${maker} plant` },
      });
      if (rng.chance(0.25)) out.push(inspect(lot, rng.chance(0.5) ? maker : rng.pick(labs)));
    }
    return out;
  }

  /** Round-robin merge, keeping each family's own order. */
  function* interleave(lists) {
    for (let i = 0, any = true; any; i++) {
      any = false;
      for (const l of lists) {
        if (i < l.length) {
          any = true;
          yield l[i];
        }
      }
    }
  }

  function* runCohort(families) {
    yield* interleave(families.map(levelZero));
    for (let k = 0; k <= LEVELS; k++) {
      if (k > 0) yield* interleave(families.map((f) => transformLevel(f, k)));
      // Hand the level's lots to whoever makes the next one (or, for finished lots, sells them).
      const shipments = [];
      for (const f of families) {
        const next = k === LEVELS ? f.distributor : f.makerOf[k + 1];
        const bySender = new Map();
        for (const l of f.levels[k]) {
          if (l.holder !== next && l.held > 0) bySender.set(l.holder, [...(bySender.get(l.holder) ?? []), l]);
        }
        for (const [from, lots] of bySender) shipments.push(...ship(lots, from, next));
        for (const l of f.levels[k]) l.holder = next;
      }
      if (shipments.length > 0) {
        yield* shipments.map((s) => s.payload);
        yield SYNC;
        yield* receive(shipments);
      }
    }
    for (const f of families) {
      for (const l of f.levels[LEVELS]) {
        if (l.held > 0 && rng.chance(0.5)) {
          const q = Math.max(1, Math.floor(l.held * (0.2 + 0.6 * rng.next())));
          l.held -= q;
          yield { ...base('track', f.distributor), status: 'delivered', objects: [{ code: l.code, quantity: qty(q) }], recipient: `order-${idn}` };
        }
      }
      const finished = f.levels[LEVELS];
      if (finished.length > 0 && rng.chance(0.01)) {
        yield { ...base('recall', f.makerOf[LEVELS]), objects: [rng.pick(finished).code], reason: 'Supplier notified a material non-conformity (bench)' };
      }
      if (f.flagship) ctx.flagship(f);
    }
  }

  for (;;) {
    if (flagshipAt.length > 0 && ctx.emitted() >= flagshipAt[0]) {
      flagshipAt.shift();
      yield* runCohort([newFamily(true)]);
    } else {
      // 48 families at a time: ~800 entries between the points where receipts are awaited
      yield* runCohort(Array.from({ length: 48 }, () => newFamily(false)));
    }
  }
}

/** Ancestor and descendant counts inside a flagship family (the generator's own view of the DAG). */
function flagshipStats(f) {
  const levels = f.levels;
  const ancestors = (k, i) => {
    const seen = new Set();
    let frontier = [[k, i]];
    while (frontier.length > 0) {
      const next = [];
      for (const [kk, ii] of frontier) {
        for (const j of levels[kk][ii].inputs ?? []) {
          const key = `${kk - 1}/${j}`;
          if (!seen.has(key)) {
            seen.add(key);
            next.push([kk - 1, j]);
          }
        }
      }
      frontier = next;
    }
    return seen.size;
  };
  const consumers = levels.map((lv) => lv.map(() => []));
  levels.forEach((lv, k) => lv.forEach((l, i) => (l.inputs ?? []).forEach((j) => consumers[k - 1][j].push(i))));
  const descendants = (i) => {
    const seen = new Set();
    let frontier = [[0, i]];
    let finished = 0;
    while (frontier.length > 0) {
      const next = [];
      for (const [kk, ii] of frontier) {
        for (const j of consumers[kk]?.[ii] ?? []) {
          const key = `${kk + 1}/${j}`;
          if (!seen.has(key)) {
            seen.add(key);
            if (kk + 1 === LEVELS) finished++;
            next.push([kk + 1, j]);
          }
        }
      }
      frontier = next;
    }
    return { derived: seen.size, finished };
  };
  const top = levels[LEVELS].map((l, i) => ({ code: l.code, ancestors: ancestors(LEVELS, i) })).sort((a, b) => b.ancestors - a.ancestors);
  const raw = levels[0].map((l, i) => ({ code: l.code, ...descendants(i) })).sort((a, b) => b.finished - a.finished || b.derived - a.derived);
  return { family: f.id, lots: levels.reduce((s, lv) => s + lv.length, 0), finished: top[0], raw: raw[0], medianAncestors: top[Math.floor(top.length / 2)]?.ancestors };
}

// ---------------------------------------------------------------- generation

async function generate({ entries, log }) {
  const final = cacheDir(entries);
  const dir = `${final}.partial-${process.pid}`;
  fs.mkdirSync(dir, { recursive: true });
  const db = path.join(dir, 'ledger.db');
  const t0 = performance.now();
  try {
    await initDataDir({ db, origin: ORIGIN, operatorId: 'operator', operatorName: 'Cluster platform (bench)' });
    const operatorSeed = readPrivateKey(path.join(dir, 'operator.key.pem'));
    const world = makeParticipants();
    const signer = makeSigner([...world, operatorParty(operatorSeed)]);
    // The service's configuration: signatures checked on a worker thread while this thread signs.
    const dd = openDataDir(db, undefined, { verifyInWorker: true });
    await dd.ledger.verified; // writes are taken once the start-up verification passed
    const { ledger, store } = dd;
    const startTimeMs = Date.now() - 400 * 86_400_000;
    await ledger.submit(
      world.map((p, i) =>
        signer({ type: 'participant.register', id: `register-${p.id}`, signer: 'operator', time: new Date(startTimeMs - (world.length - i) * 60_000).toISOString(), participant: p.id, name: `${p.id} (bench)`, roles: p.roles, publicKey: b64url(Buffer.from(p.publicKey, 'hex')) }),
      ),
    );
    const target = entries - store.size();
    const shipHashes = new Map();
    const flagships = [];
    let taken = 0;
    const stream = clusterStream(world, { shipHash: (id) => { const h = shipHashes.get(id); shipHashes.delete(id); if (!h) throw new Error(`no receipt for shipment ${id}`); return h; }, emitted: () => taken, flagship: (f) => flagships.push(flagshipStats(f)) }, { startTimeMs, total: target });

    const counts = {};
    let batch = [];
    const inflight = [];
    let signMs = 0;
    let waitMs = 0;
    let submitted = 0;
    let lastLog = performance.now();
    let batches = 0;
    const progress = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const b = batch;
      batch = [];
      batches++;
      const done = ledger.submit(b).then((receipts) => {
        receipts.forEach((r, i) => {
          if (b[i].payload.type === 'ship') shipHashes.set(b[i].payload.id, r.leafHash);
        });
        submitted += b.length;
      });
      done.catch(() => undefined); // awaited below; this only keeps a second failure from going unhandled
      inflight.push(done);
      // Two batches in flight: this thread signs the next while the worker verifies and SQLite commits.
      const w = performance.now();
      while (inflight.length > 1) await inflight.shift();
      waitMs += performance.now() - w;
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        const s = (lastLog - t0) / 1000;
        progress.push([submitted, Math.round(s)]);
        log(`  trace: generating… ${(store.size()).toLocaleString()} / ${entries.toLocaleString()} entries, ${Math.round(submitted / s).toLocaleString()} entries/s, ETA ${Math.round(((target - submitted) * s) / Math.max(1, submitted))} s`);
      }
    };
    const drain = async () => {
      await flush();
      const w = performance.now();
      while (inflight.length > 0) await inflight.shift();
      waitMs += performance.now() - w;
    };
    for (const item of stream) {
      if (item === SYNC) {
        await drain();
        continue;
      }
      const s = performance.now();
      batch.push(signer(item));
      signMs += performance.now() - s;
      counts[item.type] = (counts[item.type] ?? 0) + 1;
      taken++;
      if (taken === target) break;
      if (batch.length === BATCH) await flush();
    }
    await drain();
    const size = store.size();
    if (size !== entries) throw new Error(`generated ${size} entries, expected ${entries}`);
    await dd.close();
    const seconds = (performance.now() - t0) / 1000;
    const middle = flagships[Math.floor((flagships.length - 1) / 2)] ?? null;
    if (middle === null) throw new Error('no flagship family was completed: too few entries');
    const meta = {
      version: GEN_VERSION,
      entries,
      generatedAt: new Date().toISOString(),
      generationSeconds: seconds,
      signSeconds: signMs / 1000,
      waitSeconds: waitMs / 1000,
      batches,
      progress,
      counts,
      world: WORLD,
      flagships,
      targets: { finished: middle.finished, raw: middle.raw, family: middle.family },
      participants: world.map(({ id, roles, seed, publicKey }) => ({ id, roles, seed, publicKey })),
    };
    fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 1));
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(dir, final);
    return cachedLedger(entries);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The operator (whose key initDataDir wrote) as a signer for makeSigner. */
const operatorParty = (seed) => ({ id: 'operator', seed: Buffer.from(seed).toString('hex'), publicKey: Buffer.from(nodeEd25519.publicKey(seed)).toString('hex') });

/** The cached ledger, generated first when absent. */
export async function traceLedger({ entries = traceEntries(), log = console.error } = {}) {
  const hit = cachedLedger(entries);
  if (hit) {
    log(`  trace: reusing ${path.relative(process.cwd(), hit.dir)} (generated ${hit.meta.generatedAt} in ${hit.meta.generationSeconds.toFixed(0)} s)`);
    return { ...hit, cached: true };
  }
  log(`  trace: generating a ${entries.toLocaleString()}-entry ledger into ${path.relative(process.cwd(), cacheDir(entries))} (signed, submitted in batches of ${BATCH}; cached for later runs)`);
  const made = await generate({ entries, log });
  log(`  trace: generated in ${made.meta.generationSeconds.toFixed(1)} s`);
  return { ...made, cached: false };
}

// ---------------------------------------------------------------- query targets

/**
 * CPU time of this thread in ms (Linux /proc, 10 ms ticks: meaningful summed over many calls), or
 * NaN elsewhere. On a busy machine the wall time of a query includes waiting for a core; this
 * does not.
 */
function threadCpuMs() {
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
  } catch {
    return NaN;
  }
}

async function timeQuery(lib, name, query, { reps, warmup, uncached, cachedLedger }) {
  lib.gc();
  const coldMs = await uncached(query);
  for (let i = 1; i < warmup; i++) await uncached(query);
  lib.gc();
  const xs = [];
  for (let i = 0; i < reps; i++) xs.push(await uncached(query));
  const s = lib.summarize(xs);
  const p95 = lib.percentile(xs, 95);
  // the same call answered from the ledger's answer cache (no log growth in between)
  const first = await query(cachedLedger);
  const hits = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await query(cachedLedger);
    hits.push(performance.now() - t);
  }
  const j0 = performance.now();
  const bytes = Buffer.byteLength(JSON.stringify(first));
  const jsonMs = performance.now() - j0;
  return { name, first, coldMs, summary: s, p95, bytes, jsonMs, cachedMs: lib.summarize(hits).p50 };
}

/**
 * The ledger caches trace answers until the log grows (src/ledger.ts `cached`), so a repeated call
 * on one ledger measures a Map lookup. Each timed call therefore goes to a fresh ledger over the
 * same open store (openLedger is what openDataDir calls; opening is not timed): the answer is
 * computed every time, with the store's statement and payload caches and SQLite's page cache
 * warm, which is what a query costs on a service that keeps ingesting (every append clears the
 * answer cache). The cached figure is reported in the details.
 */
async function queryTargets(lib, { db, meta, reps, log }) {
  const dd = openDataDir(db);
  await dd.ledger.verified; // writes are taken once the start-up verification passed
  const ledgerSeed = readPrivateKey(path.join(path.dirname(db), 'ledger.key.pem'));
  let cpuMs = 0;
  const uncached = async (fn) => {
    const ledger = openLedger({ store: dd.store, origin: dd.ledger.origin, ledgerSeed });
    const c = threadCpuMs();
    const t = performance.now();
    await fn(ledger);
    const ms = performance.now() - t;
    cpuMs += threadCpuMs() - c;
    await ledger.close();
    return ms;
  };
  const cpuPerCall = async (fn) => {
    cpuMs = 0;
    const r = await fn();
    return { ...r, cpuMs: Number.isNaN(cpuMs) ? null : cpuMs / (r.summary.count + 5) };
  };
  try {
    const fin = meta.targets.finished.code;
    const raw = meta.targets.raw.code;
    log(`  trace: queries on ${fin} (≥ ${meta.targets.finished.ancestors} ancestors by the generator's count) and ${raw}`);
    const opts = { reps, warmup: 5, uncached, cachedLedger: dd.ledger };
    const up = await cpuPerCall(() => timeQuery(lib, 'upstream', (l) => l.upstream(fin), opts));
    const down = await cpuPerCall(() => timeQuery(lib, 'downstream', (l) => l.downstream(raw), opts));
    const fp = await cpuPerCall(() => timeQuery(lib, 'footprint', (l) => l.footprint(fin), opts));
    const row = (id, r, what) => ({
      id,
      opsPerSec: 1000 / r.summary.mean,
      unit: 'queries/s',
      p50Ms: r.summary.p50,
      p95Ms: r.p95,
      p99Ms: r.summary.p99,
      meanMs: r.summary.mean,
      coldMs: r.coldMs,
      entries: meta.entries,
      responseBytes: r.bytes,
      stringifyMs: r.jsonMs,
      cachedMs: r.cachedMs,
      minMs: r.summary.min,
      mainThreadCpuMs: r.cpuMs,
      details: `${what}; ${reps} computed calls after 5 warm-up: median ${r.summary.p50.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, min ${r.summary.min.toFixed(2)} ms, max ${r.summary.max.toFixed(2)} ms${r.cpuMs == null ? '' : `, main-thread CPU ${r.cpuMs.toFixed(1)} ms per call (what the call costs without waiting for a core on this shared machine)`}; first call after opening ${r.coldMs.toFixed(1)} ms; from the ledger's answer cache ${r.cachedMs.toFixed(4)} ms; result ${(r.bytes / 1024).toFixed(0)} KiB of JSON (stringify ${r.jsonMs.toFixed(1)} ms, not counted)`,
    });
    const u = up.first;
    const d = down.first;
    return [
      { ...row('traceUpstream', up, `ledger.upstream(${fin}): ${u.ancestors.toLocaleString()} ancestors, ${u.flags.length} flags`), ancestors: u.ancestors },
      {
        ...row('traceDownstream', down, `ledger.downstream(${raw}): ${d.derived.length.toLocaleString()} derived objects, ${d.impact.finishedProducts.length} finished products, ${d.shipments.length.toLocaleString()} shipments, ${d.holders.length.toLocaleString()} holdings, ${d.impact.customers.length} customers`),
        derived: d.derived.length,
        finishedProducts: d.impact.finishedProducts.length,
        shipments: d.shipments.length,
      },
      { ...row('traceFootprint', fp, `ledger.footprint(${fin}): PACT roll-up over ${fp.first.extensions[0].data.seqs.length.toLocaleString()} entries, ${fp.first.pcf.pCfExcludingBiogenic} kgCO2e/kg, primary data ${fp.first.pcf.primaryDataShare} %`) },
    ];
  } finally {
    await dd.close();
  }
}

// ---------------------------------------------------------------- ingest: domain vs core entries

/**
 * A data dir for domain ingest: `n` manufacturers, each holding 8 big raw lots and one incoming
 * shipment per later receive (all set up before the measurement).
 */
async function makeDomainDataDir(lib, n, receivesPer) {
  const td = lib.tempDir('bench-trace-ingest-');
  const db = path.join(td.dir, 'ledger.db');
  await initDataDir({ db, origin: 'bench.trace-ledger.local/ingest', operatorId: 'operator', operatorName: 'Bench operator' });
  const operatorSeed = readPrivateKey(path.join(td.dir, 'operator.key.pem'));
  const parties = Array.from({ length: n }, (_, i) => ({ id: `mfr-${i}`, roles: ['manufacturer'], ...newKeyPair() }));
  const sign = makeSigner([...parties, operatorParty(operatorSeed)]);
  const dd = openDataDir(db);
  await dd.ledger.verified; // writes are taken once the start-up verification passed
  const time = () => new Date(Date.now() - 60_000).toISOString();
  const p = (type, signer, rest) => ({ type, id: randomUUID(), signer, time: time(), ...rest });
  await dd.ledger.submit(parties.map((x) => sign(p('participant.register', 'operator', { participant: x.id, name: x.id, roles: x.roles, publicKey: b64url(Buffer.from(x.publicKey, 'hex')) }))));
  const setup = [];
  for (const x of parties) {
    for (let j = 0; j < 8; j++) {
      setup.push(sign(p('commission', x.id, { objects: [{ code: `urn:trace:${x.id}:raw-${j}`, level: 'material', product: { name: 'Steel coil' }, quantity: { value: 1_000_000, unit: 'KGM' }, footprint: { kgCO2ePerUnit: 2.1 } }] })));
    }
    for (let j = 0; j < receivesPer; j++) {
      setup.push(sign(p('commission', x.id, { objects: [{ code: `urn:trace:${x.id}:gift-${j}`, level: 'semi', product: { name: 'Bracket' }, quantity: { value: 50, unit: 'KGM' } }] })));
    }
  }
  // Shipments to the next manufacturer, received during the measurement.
  const incoming = new Map(parties.map((x) => [x.id, []]));
  const ships = [];
  parties.forEach((x, i) => {
    const to = parties[(i + 1) % n].id;
    for (let j = 0; j < receivesPer; j++) {
      const code = `urn:trace:${x.id}:gift-${j}`;
      ships.push({ to, code, entry: sign(p('ship', x.id, { to, objects: [{ code, quantity: { value: 50, unit: 'KGM' } }] })) });
    }
  });
  const all = [...setup, ...ships.map((s) => s.entry)];
  const receipts = [];
  for (let i = 0; i < all.length; i += BATCH) receipts.push(...(await dd.ledger.submit(all.slice(i, i + BATCH))));
  ships.forEach((s, j) => incoming.get(s.to).push({ hash: receipts[setup.length + j].leafHash, code: s.code }));
  await dd.close();
  return { td, db, parties, sign, incoming };
}

/**
 * Pre-signed domain entries in a fixed mix per manufacturer (2 transforms with 3 inputs each, an
 * inspection, a shipment, a receipt), as `loops` streams that touch disjoint manufacturers, so
 * concurrent submitters never reorder entries that depend on each other.
 */
function domainStreams(env, count, loops, round) {
  const { parties, sign, incoming } = env;
  const streams = Array.from({ length: loops }, () => []);
  const time = new Date(Date.now() - 60_000).toISOString();
  const state = parties.map(() => ({ step: 0, out: null }));
  for (let i = 0; streams.reduce((s, x) => s + x.length, 0) < count; i++) {
    const k = i % parties.length;
    const x = parties[k];
    const st = state[k];
    const s = st.step++;
    const id = randomUUID();
    const base = { id, signer: x.id, time };
    let payload;
    switch (s % 5) {
      case 0:
      case 1: {
        const code = `urn:trace:${x.id}:r${round}-o${s}`;
        payload = {
          type: 'transform', ...base,
          inputs: [0, 1, 2].map((j) => ({ code: `urn:trace:${x.id}:raw-${(s + j) % 8}`, quantity: { value: 1.5, unit: 'KGM' } })),
          outputs: [{ code, level: 'semi', product: { name: 'Machined part' }, quantity: { value: 4.2, unit: 'KGM' } }],
          process: { name: 'machining', electricityKWh: 3.2, gridKgCO2ePerKWh: 0.38 },
        };
        if (s % 5 === 0) st.out = code;
        break;
      }
      case 2:
        payload = { type: 'inspect', ...base, objects: [st.out], result: 'pass', measurements: [{ type: 'hardness', value: 112, unit: 'HB', min: 90, max: 140 }] };
        break;
      case 3:
        payload = { type: 'ship', ...base, to: parties[(k + 1) % parties.length].id, objects: [{ code: st.out, quantity: { value: 4.2, unit: 'KGM' } }] };
        break;
      default: {
        const inc = incoming.get(x.id).shift();
        if (inc === undefined) throw new Error('domain ingest: ran out of incoming shipments');
        payload = { type: 'receive', ...base, shipment: inc.hash, objects: [{ code: inc.code, quantity: { value: 50, unit: 'KGM' } }] };
      }
    }
    streams[k % loops].push(sign(payload));
  }
  return streams;
}

/** `loops` concurrent submitters, each awaiting its own batches of `batch` in order. */
async function ingest(ledger, streams, batch) {
  const t0 = performance.now();
  let n = 0;
  await Promise.all(
    streams.map(async (entries) => {
      for (let i = 0; i < entries.length; i += batch) {
        const b = entries.slice(i, i + batch);
        await ledger.submit(b);
        n += b.length;
      }
    }),
  );
  return { entries: n, seconds: (performance.now() - t0) / 1000 };
}

async function ingestTargets(lib, { rounds, perRound, log }) {
  const batch = 100;
  const loops = 4;
  const parties = 16;
  const core = await makeDataDir(lib, parties);
  const warmup = 2_000;
  const domain = await makeDomainDataDir(lib, parties, Math.ceil((perRound * rounds + warmup) / 5 / parties) + 2);
  const coreDd = openDataDir(core.db);
  const domainDd = openDataDir(domain.db);
  await coreDd.ledger.verified; // writes are taken once the start-up verification passed
  await domainDd.ledger.verified;
  try {
    const split = (entries) => {
      const s = Array.from({ length: loops }, () => []);
      entries.forEach((e, i) => s[core.parties.findIndex((p) => p.id === e.payload.signer) % loops].push(e));
      return s;
    };
    // warm-up (not counted)
    await ingest(coreDd.ledger, split(makeEntries(core.parties, warmup)), batch);
    await ingest(domainDd.ledger, domainStreams(domain, warmup, loops, 'w'), batch);
    const res = { core: [], domain: [] };
    for (let r = 0; r < rounds; r++) {
      const c = split(makeEntries(core.parties, perRound));
      const d = domainStreams(domain, perRound, loops, r);
      lib.gc();
      // alternate which goes first, so drift on a shared machine hits both alike
      const order = r % 2 === 0 ? ['core', 'domain'] : ['domain', 'core'];
      for (const kind of order) {
        const x = await ingest(kind === 'core' ? coreDd.ledger : domainDd.ledger, kind === 'core' ? c : d, batch);
        res[kind].push(x);
        log(`  trace: ingest round ${r + 1}/${rounds} ${kind}: ${Math.round(x.entries / x.seconds).toLocaleString()} entries/s`);
      }
    }
    const rate = (x) => x.entries / x.seconds;
    // Each round's pair ran back to back: the median of the pairs' ratios is robust to other load
    // on this shared machine; the figures reported are the median rounds.
    const ratios = res.core.map((c, i) => rate(res.domain[i]) / rate(c)).sort((a, b) => a - b);
    const ratio = ratios[Math.floor((ratios.length - 1) / 2)];
    const median = (xs) => xs.map(rate).sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const coreRate = median(res.core);
    const rounds_ = (xs) => xs.map((x) => Math.round(rate(x)).toLocaleString('en-US')).join(' / ');
    const how = `in-process ledger.submit, batches of ${batch}, ${loops} concurrent submitters, each batch awaited until durable; ${rounds} rounds of ${perRound.toLocaleString('en-US')} pre-signed entries of each kind, back to back, alternating which goes first, on fresh ${parties}-signer ledgers`;
    return [
      { id: 'coreIngest', opsPerSec: coreRate, unit: 'entries/s', details: `participant.key.add entries (bench/ledger.js makeEntries); ${how}; median round; rounds ${rounds_(res.core)}` },
      {
        id: 'domainIngest',
        // what the runner divides by coreIngest: the median of the paired ratios
        opsPerSec: coreRate * ratio,
        unit: 'entries/s',
        medianRoundRate: median(res.domain),
        pairedRatios: ratios,
        details: `domain entries, per manufacturer 2 transforms (3 inputs, 1 output) : 1 inspect : 1 ship : 1 receive; ${how}; figure = median core round × median paired ratio (${ratios.map((r) => r.toFixed(2)).join(', ')}); rounds ${rounds_(res.domain)}`,
      },
    ];
  } finally {
    await coreDd.close();
    await domainDd.close();
    core.td.remove();
    domain.td.remove();
  }
}

/** The pieces of the ingest comparison, for profiling one side alone. */
export const ingestHarness = { makeDomainDataDir, domainStreams, ingest, makeCoreDataDir: makeDataDir, makeCoreEntries: makeEntries };

// ---------------------------------------------------------------- entry point for bench/run.js

/** Measures the issue-3 targets; returns results shaped like bench/ledger.js's. */
export async function traceTargets(ctx) {
  const { lib, quick, log } = ctx;
  const entries = traceEntries();
  const t0 = performance.now();
  const led = await traceLedger({ entries, log });
  const info = {
    id: 'traceLedger',
    entries,
    cached: led.cached,
    generationSeconds: led.meta.generationSeconds,
    dbBytes: fs.statSync(led.db).size,
    meta: { ...led.meta, participants: undefined },
  };
  const out = [];
  // One part failing does not lose the other's figures.
  const part = async (ids, fn) => {
    try {
      out.push(...(await fn()));
    } catch (e) {
      log(`  trace: ${ids.join(', ')} failed: ${e?.stack ?? e}`);
      out.push(...ids.map((id) => ({ id, blocked: `failed: ${String(e?.message ?? e).split('\n')[0]}` })));
    }
  };
  await part(['traceUpstream', 'traceDownstream', 'traceFootprint'], () => queryTargetsInChild({ db: led.db, reps: quick ? 20 : 50, log }));
  await part(['domainIngest'], () => ingestTargets(lib, { rounds: quick ? 3 : 7, perRound: quick ? 4_000 : 8_000, log }));
  info.seconds = (performance.now() - t0) / 1000;
  return { results: out, info };
}

/**
 * The query timings run in a Node process of their own, started like the service (its V8 flags,
 * SERVICE_NODE_FLAGS) with only the ledger open: what earlier parts of the benchmark left on the
 * runner's heap (hundreds of thousands of signed entries) made every query's garbage collection
 * slower there (upstream median 32 ms after the ledger targets, 17 ms in a fresh process).
 */
function queryTargetsInChild({ db, reps, log }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, '--expose-gc', fileURLToPath(import.meta.url), '--queries', db, String(reps)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err += d;
      for (const line of d.split('\n')) if (line.startsWith('  trace:')) log(line);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`query process exited with ${code}: ${err.trim().split('\n').slice(-5).join(' | ')}`));
      else resolve(JSON.parse(out));
    });
  });
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain && process.argv[2] === '--queries') {
  // The child of queryTargetsInChild: times the queries, prints the results as JSON.
  const lib = await import('./lib.js');
  const db = process.argv[3];
  const meta = JSON.parse(fs.readFileSync(path.join(path.dirname(db), 'meta.json'), 'utf8'));
  const results = await queryTargets(lib, { db, meta, reps: Number(process.argv[4]), log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(JSON.stringify(results));
  process.exit(0);
} else if (isMain) {
  // Standalone: the runner with this part only.
  process.argv.splice(2, 0, '--trace-only');
  void import('./run.js');
}
