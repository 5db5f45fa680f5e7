// The ingest benchmarks' entry mix (issue 15): the event types of the demo chain
// (fixtures/demo/chain.json), in its proportions, valid under the ledger's rules.
//
// The demo chain has commission 4, transform 11, ship 9, receive 9, inspect 8 and aggregate 2
// (plus track 8, disaggregate 2 and recall 1, which are left out: a recall stops the lots it names,
// and tracks and unpacking are rare next to the rest). One CYCLE below is those 43 entries, as one
// day of a window-making chain: a supplier, four manufacturers, a distributor and a lab.
//
// Every entry must be signed before the timed load, but a `receive` names its shipment by the leaf
// hash of the `ship` entry, which depends on the seq and the time at which the ledger records it.
// So the nine receives of cycle k receive "yesterday's" shipments: nine `ship` entries (and the
// commissions of what they carry) that prepareMix() submits in-process BEFORE the load, keeping
// their receipts. The nine ships of cycle k itself go out in the load and are not received in it.
//
// Each load client gets a STREAM of its own: its own eight participants (registered first) and its
// own lots, cycle after cycle in dependency order (received before consumed, packed before the
// pallet ships). A client sends its next request only after the answer to the previous one, so
// the order holds per client whatever the others do.
import path from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { initDataDir, openDataDir } from '../dist/cli/setup.js';
import { readPrivateKey } from '../dist/cli/keyfiles.js';
import { gs1CheckDigit } from '../dist/core/codes.js';
import { signingMessage } from '../dist/core/entry.js';
import { keyIdOf } from '../dist/core/keys.js';
import { fileURLToPath } from 'node:url';

/** Entries of one cycle by type: the demo chain's counts of these six types. */
export const CYCLE_TYPES = { commission: 4, transform: 11, ship: 9, receive: 9, inspect: 8, aggregate: 2 };
export const CYCLE_LENGTH = Object.values(CYCLE_TYPES).reduce((a, b) => a + b, 0);

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ROLES = { sup: 'supplier', ma: 'manufacturer', mb: 'manufacturer', mc: 'manufacturer', md: 'manufacturer', dist: 'distributor', lab: 'inspector', car: 'carrier' };
// GS1 company prefix of the demo (fixtures/demo): 693 (China) + 1000.
const PREFIX = '6931000';

const withCheck = (digits) => `${digits}${gs1CheckDigit(digits)}`;
/** GTIN-14 of item reference n: indicator 0, company prefix, 5-digit item reference, check digit. */
const gtin = (n) => withCheck(`0${PREFIX}${String(n).padStart(5, '0')}`);
/** GLN-13 of location n. */
const gln = (n) => withCheck(`${PREFIX}${String(n).padStart(5, '0')}`);
/** SSCC-18: extension digit 3, company prefix, 9-digit serial, check digit. */
const sscc = (serial) => `https://id.gs1.org/00/${withCheck(`3${PREFIX}${String(serial).padStart(9, '0')}`)}`;

const PRODUCTS = {
  alumina: { gtin: gtin(1001), name: 'Smelter-grade alumina (Al2O3), sandy' },
  ingot: { gtin: gtin(2001), name: 'Primary aluminium ingot Al99.70 (P1020A), 22 kg T-bar' },
  billet: { gtin: gtin(5001), name: 'EN AW-6063 extrusion billet, 178 mm x 6 m' },
  alloy: { gtin: gtin(5002), name: 'AlMg50 master alloy waffle' },
  profile: { gtin: gtin(6001), name: 'Extruded profile 6063-T5, casement frame section' },
  anodised: { gtin: gtin(7001), name: 'Anodised profile 6063-T5, 20 um, bronze' },
  glass: { gtin: gtin(3001), name: 'Double glazing unit 4-16-4, low-e, argon' },
  gasket: { gtin: gtin(4001), name: 'EPDM glazing gasket, 9 mm' },
  gasketSet: { gtin: gtin(4002), name: 'Gasket set for casement window 1200 x 1400' },
  window: { gtin: gtin(8001), name: 'Aluminium casement window 1200 x 1400, thermally broken' },
  frame: { gtin: gtin(8002), name: 'Aluminium fixed window 900 x 1400' },
};
const lotCode = (product, lot) => `https://id.gs1.org/01/${PRODUCTS[product].gtin}/10/${lot}`;
const qty = (value, unit = 'KGM') => ({ value, unit });

function newParticipant(id, role) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // DER, not JWK: exporting private key material as JWK deadlocks now and then on Node 20.20.
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const pub = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
  return { id, role, seed: Buffer.from(seed), publicKey: pub };
}

/** Signs as signEntry does (prefix + JCS of the payload), with one cached KeyObject per signer. */
function makeSigner(parties) {
  const keys = new Map(
    parties.map((p) => [p.id, { key: createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, p.seed]), format: 'der', type: 'pkcs8' }), kid: keyIdOf(p.publicKey) }]),
  );
  return (payload) => {
    const k = keys.get(payload.signer);
    if (k === undefined) throw new Error(`no key for ${payload.signer}`);
    return { payload, signature: { kid: k.kid, sig: cryptoSign(null, signingMessage(payload), k.key).toString('base64url') } };
  };
}

/**
 * One stream's participants and lot names. `s` is the stream's number, unique in the ledger: it is
 * in every participant id, lot and SSCC, so streams never touch each other's objects.
 */
function streamWorld(s) {
  const p = Object.fromEntries(Object.entries(ROLES).map(([k, role]) => [k, newParticipant(`s${s}-${k}`, role)]));
  const loc = Object.fromEntries(Object.keys(ROLES).map((k, i) => [k, { gln: gln(s * 10 + i), name: `${p[k].id} site` }]));
  return { s, p, loc };
}

/** Yesterday's shipments of cycle k: the commissions and ships whose receipts cycle k receives. */
function setupCycle(w, k, clock) {
  const { s, p, loc } = w;
  const lot = (tag) => `${tag}${s}-${k}`;
  const objects = (...specs) => specs.map(([product, tag, quantity, level = 'material']) => ({ code: lotCode(product, lot(tag)), level, product: PRODUCTS[product], quantity }));
  const ship = (from, to, code, quantity, n) => ({
    type: 'ship', id: `y${k}-ship-${n}`, signer: p[from].id, time: clock(), to: p[to].id, carrier: p.car.id,
    objects: [{ code, quantity }], transport: { mode: 'road', distanceKm: 120, emissionsKgCO2e: 96 }, reference: `DA-${lot('Y')}-${n}`,
    from: { gln: loc[from].gln }, destination: { gln: loc[to].gln },
  });
  const commission = (who, objs) => ({ type: 'commission', id: `y${k}-commission`, signer: p[who].id, time: clock(), objects: objs, location: loc[who] });
  return {
    entries: [
      commission('sup', objects(['alumina', 'YA', qty(2000)], ['ingot', 'YB', qty(1000)])),
      commission('ma', objects(['billet', 'YC', qty(800), 'semi'], ['billet', 'YD', qty(600), 'semi'])),
      commission('mb', objects(['profile', 'YE', qty(500), 'semi'], ['profile', 'YF', qty(400), 'semi'])),
      commission('mc', objects(['anodised', 'YG', qty(300), 'semi'], ['glass', 'YH', qty(120, 'H87'), 'semi'])),
      commission('md', objects(['window', 'YI', qty(50, 'H87'), 'finished'])),
      ship('sup', 'ma', lotCode('alumina', lot('YA')), qty(2000), 1),
      ship('sup', 'ma', lotCode('ingot', lot('YB')), qty(1000), 2),
      ship('ma', 'mb', lotCode('billet', lot('YC')), qty(800), 3),
      ship('ma', 'mb', lotCode('billet', lot('YD')), qty(600), 4),
      ship('mb', 'mc', lotCode('profile', lot('YE')), qty(500), 5),
      ship('mb', 'mc', lotCode('profile', lot('YF')), qty(400), 6),
      ship('mc', 'md', lotCode('anodised', lot('YG')), qty(300), 7),
      ship('mc', 'md', lotCode('glass', lot('YH')), qty(120, 'H87'), 8),
      ship('md', 'dist', lotCode('window', lot('YI')), qty(50, 'H87'), 9),
    ],
    // What each of the nine shipments carries, in the order of the ships above.
    shipped: [
      ['ma', lotCode('alumina', lot('YA')), qty(2000)],
      ['ma', lotCode('ingot', lot('YB')), qty(1000)],
      ['mb', lotCode('billet', lot('YC')), qty(800)],
      ['mb', lotCode('billet', lot('YD')), qty(600)],
      ['mc', lotCode('profile', lot('YE')), qty(500)],
      ['mc', lotCode('profile', lot('YF')), qty(400)],
      ['md', lotCode('anodised', lot('YG')), qty(300)],
      ['md', lotCode('glass', lot('YH')), qty(120, 'H87')],
      ['dist', lotCode('window', lot('YI')), qty(50, 'H87')],
    ],
  };
}

/**
 * The 43 payloads of cycle k, in an order that satisfies the rules: `shipHashes` are the leaf
 * hashes of the nine setup ships of this cycle (setupCycle), `shipped` what they carry.
 */
function cycle(w, k, clock, shipped, shipHashes) {
  const { s, p, loc } = w;
  const lot = (tag) => `${tag}${s}-${k}`;
  const y = (n) => shipped[n - 1][1]; // code of the lot in yesterday's shipment n
  const base = (type, who, name) => ({ type, id: `c${k}-${name}`, signer: p[who].id, time: clock() });
  const commission = (who, name, product, tag, quantity, extra = {}) => ({
    ...base('commission', who, name),
    objects: [{ code: lotCode(product, lot(tag)), level: 'material', product: PRODUCTS[product], quantity, ...extra }],
    location: loc[who],
  });
  const transform = (who, name, inputs, product, tag, quantity, level, process) => ({
    ...base('transform', who, name),
    inputs: inputs.map(([code, q]) => ({ code, quantity: q })),
    outputs: [{ code: lotCode(product, lot(tag)), level, product: PRODUCTS[product], quantity, attributes: { batch: lot(tag), line: `${p[who].id}-L2` } }],
    process,
    location: loc[who],
  });
  const ship = (from, to, name, code, quantity) => ({
    ...base('ship', from, name), to: p[to].id, carrier: p.car.id, objects: [{ code, quantity }],
    expectedDelivery: clock(), transport: { mode: 'road', distanceKm: 95, emissionsKgCO2e: 76 }, reference: `DA-${lot('T')}-${name}`,
    from: { gln: loc[from].gln }, destination: { gln: loc[to].gln },
  });
  const receive = (n, name) => {
    const [who, code, quantity] = shipped[n - 1];
    return { ...base('receive', who, name), shipment: shipHashes[n - 1], objects: [{ code, quantity }], condition: 'good', location: { gln: loc[who].gln } };
  };
  const inspect = (who, name, code, result = 'pass') => ({
    ...base('inspect', who, name), objects: [code], result,
    measurements: [{ type: 'Mg mass fraction', value: 0.52, unit: '%', min: 0.45, max: 0.9 }, { type: 'Fe mass fraction', value: 0.21, unit: '%', max: 0.35 }],
    standard: 'EN 573-3 EN AW-6063; spark OES', certificate: { scheme: 'ISO/IEC 17025 test report (CNAS)', id: `PDQL-${lot('I')}-${name}`, issuer: 'Pearl Delta Quality Lab' },
  });
  const aggregate = (name, parent, children) => ({ ...base('aggregate', 'md', name), parent, children: children.map(([code, q]) => ({ code, quantity: q })), location: loc.md });
  const energy = (kwh, direct) => ({ name: 'line process', electricityKWh: kwh, gridKgCO2ePerKWh: 0.5366, waterM3: 4, directEmissionsKgCO2e: direct });
  const footprint = { kgCO2ePerUnit: 1.25, electricityKWhPerUnit: 0.28, primaryDataShare: 85, standard: 'ISO 14067:2018' };
  const cert = [{ scheme: 'ASI Performance Standard V3', id: `ASI-${lot('C')}`, issuer: 'Aluminium Stewardship Initiative', validUntil: '2028-03-31' }];
  const c = (product, tag) => lotCode(product, lot(tag));
  const pallet1 = sscc(s * 100_000 + k * 2);
  const pallet2 = sscc(s * 100_000 + k * 2 + 1);
  return [
    commission('sup', 'commission-alumina', 'alumina', 'CA', qty(2000), { footprint, certificates: cert }),
    commission('sup', 'commission-ingot', 'ingot', 'CB', qty(1000), { footprint }),
    inspect('lab', 'inspect-alumina', c('alumina', 'CA')),
    ship('sup', 'ma', 'ship-alumina', c('alumina', 'CA'), qty(2000)),
    ship('sup', 'ma', 'ship-ingot', c('ingot', 'CB'), qty(1000)),
    receive(1, 'receive-1'),
    receive(2, 'receive-2'),
    transform('ma', 'cast-1', [[y(1), qty(1000)]], 'billet', 'A1', qty(900), 'semi', energy(14000, 1200)),
    transform('ma', 'cast-2', [[y(2), qty(500)]], 'billet', 'A2', qty(450), 'semi', energy(7000, 600)),
    transform('ma', 'cast-3', [[y(1), qty(1000)], [y(2), qty(500)]], 'billet', 'A3', qty(1400), 'semi', energy(21000, 1800)),
    inspect('lab', 'inspect-billet', c('billet', 'A1')),
    ship('ma', 'mb', 'ship-billet-1', c('billet', 'A1'), qty(900)),
    ship('ma', 'mb', 'ship-billet-2', c('billet', 'A2'), qty(450)),
    receive(3, 'receive-3'),
    receive(4, 'receive-4'),
    commission('mb', 'commission-alloy', 'alloy', 'CC', qty(50)),
    transform('mb', 'extrude-1', [[y(3), qty(800)], [c('alloy', 'CC'), qty(20)]], 'profile', 'B1', qty(780), 'semi', energy(1600, 40)),
    transform('mb', 'extrude-2', [[y(4), qty(600)]], 'profile', 'B2', qty(570), 'semi', energy(1200, 30)),
    transform('mb', 'extrude-3', [[c('profile', 'B1'), qty(300)], [c('profile', 'B2'), qty(270)], [c('alloy', 'CC'), qty(30)]], 'profile', 'B3', qty(590), 'semi', energy(900, 20)),
    inspect('lab', 'inspect-profile', c('profile', 'B3')),
    ship('mb', 'mc', 'ship-profile-1', c('profile', 'B3'), qty(590)),
    ship('mb', 'mc', 'ship-profile-2', c('profile', 'B2'), qty(300)),
    receive(5, 'receive-5'),
    receive(6, 'receive-6'),
    transform('mc', 'anodise-1', [[y(5), qty(500)]], 'anodised', 'C1', qty(495), 'semi', energy(800, 10)),
    transform('mc', 'anodise-2', [[y(6), qty(400)]], 'anodised', 'C2', qty(396), 'semi', energy(640, 8)),
    inspect('lab', 'inspect-anodised', c('anodised', 'C1')),
    ship('mc', 'md', 'ship-anodised', c('anodised', 'C1'), qty(495)),
    receive(7, 'receive-7'),
    receive(8, 'receive-8'),
    commission('md', 'commission-gasket', 'gasket', 'CD', qty(200, 'MTR')),
    transform('md', 'assemble-1', [[y(7), qty(150)], [y(8), qty(60, 'H87')], [c('gasket', 'CD'), qty(100, 'MTR')]], 'window', 'D1', qty(24, 'H87'), 'finished', energy(300, 0)),
    transform('md', 'assemble-2', [[y(7), qty(150)], [y(8), qty(60, 'H87')]], 'frame', 'D2', qty(24, 'H87'), 'finished', energy(280, 0)),
    transform('md', 'cut-gaskets', [[c('gasket', 'CD'), qty(100, 'MTR')]], 'gasketSet', 'D3', qty(50, 'SET'), 'finished', energy(20, 0)),
    inspect('lab', 'inspect-window', c('window', 'D1')),
    inspect('lab', 'inspect-frame', c('frame', 'D2')),
    aggregate('pack-1', pallet1, [[c('window', 'D1'), qty(24, 'H87')], [c('frame', 'D2'), qty(24, 'H87')]]),
    aggregate('pack-2', pallet2, [[c('gasketSet', 'D3'), qty(50, 'SET')]]),
    ship('md', 'dist', 'ship-pallet-1', pallet1, qty(1, 'H87')),
    ship('md', 'dist', 'ship-pallet-2', pallet2, qty(1, 'H87')),
    receive(9, 'receive-9'),
    inspect('lab', 'inspect-delivered', y(9)),
    inspect('dist', 'inspect-incoming', y(9)),
  ];
}

/**
 * A fresh data dir holding independent streams of mix cycles (`cycles[s]` cycles in stream s),
 * ready for the load: participants registered and yesterday's shipments in the log (both
 * in-process, not timed), every entry of the load signed.
 * Returns { td, db, streams: Entry[][], setupEntries }.
 */
export async function prepareMix(lib, { cycles, log = () => {} }) {
  const td = lib.tempDir('bench-mix-');
  const db = path.join(td.dir, 'ledger.db');
  await initDataDir({ db, origin: 'bench.trace-ledger.local/mix', operatorId: 'operator', operatorName: 'Bench operator' });
  const worlds = cycles.map((_, s) => streamWorld(s));
  const parties = worlds.flatMap((w) => Object.values(w.p));
  const operatorSeed = Buffer.from(readPrivateKey(path.join(td.dir, 'operator.key.pem')));
  const operatorPublic = createPublicKey(createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, operatorSeed]), format: 'der', type: 'pkcs8' }));
  const operator = { id: 'operator', seed: operatorSeed, publicKey: new Uint8Array(operatorPublic.export({ format: 'der', type: 'spki' }).subarray(-32)) };
  const sign = makeSigner([...parties, operator]);
  const { store, ledger, derivedVerifier } = openDataDir(db);
  await ledger.verified; // writes are taken once the start-up verification passed
  if ((await derivedVerifier.startup) !== 'ok') throw new Error('the derived-state check failed');
  let ok = false;
  try {
    // Entry times: a day ago onwards, a millisecond apart (within the ledger's clock-skew limit).
    let t = Date.now() - 86_400_000;
    const clock = () => new Date(t++).toISOString();
    const registrations = parties.map((p) => {
      const payload = { type: 'participant.register', id: `register-${p.id}`, signer: 'operator', time: clock(), participant: p.id, name: p.id, roles: [p.role], publicKey: Buffer.from(p.publicKey).toString('base64url') };
      return sign(payload);
    });
    for (let i = 0; i < registrations.length; i += 500) await ledger.submit(registrations.slice(i, i + 500));

    const setups = worlds.map((w, s) => Array.from({ length: cycles[s] }, (_, k) => setupCycle(w, k, clock)));
    const setupEntries = setups.flat().flatMap((x) => x.entries.map(sign));
    log(`  mix: ${parties.length} participants registered; submitting ${setupEntries.length.toLocaleString()} entries of yesterday's shipments…`);
    const receipts = [];
    for (let i = 0; i < setupEntries.length; i += 1000) receipts.push(...(await ledger.submit(setupEntries.slice(i, i + 1000))));
    let r = 0;
    const out = worlds.map((w, s) =>
      setups[s].flatMap((setup, k) => {
        const hashes = setup.entries.map(() => receipts[r++].leafHash).filter((_, i) => setup.entries[i].type === 'ship');
        return cycle(w, k, clock, setup.shipped, hashes).map(sign);
      }),
    );
    ok = true;
    return { td, db, streams: out, setupEntries: setupEntries.length };
  } finally {
    await ledger.close();
    await store.close();
    if (!ok) td.remove();
  }
}

// `npm run build && node bench/mix.js [streams=3] [cycles=2]`: a self-check without HTTP. Prepares
// a small mix, submits every stream in-process one entry at a time, and exits 1 if any entry is
// refused or the stream's types are not the demo chain's counts of them.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lib = await import('./lib.js');
  const { demoChain } = await import('../dist/cli/demo.js');
  const [streams = 3, cycles = 2] = process.argv.slice(2).map(Number);
  const demo = {};
  for (const e of demoChain().entries) if (e.type in CYCLE_TYPES) demo[e.type] = (demo[e.type] ?? 0) + 1;
  const m = await prepareMix(lib, { cycles: Array(streams).fill(cycles) });
  const { store, ledger } = openDataDir(m.db);
  await ledger.verified; // writes are taken once the start-up verification passed
  const refused = [];
  const counts = {};
  for (const stream of m.streams) {
    for (const entry of stream) {
      counts[entry.payload.type] = (counts[entry.payload.type] ?? 0) + 1;
      await ledger.submit([entry]).catch((e) => refused.push(`${entry.payload.signer}/${entry.payload.id}: ${e.code} ${e.message}`));
    }
  }
  await ledger.close();
  await store.close();
  m.td.remove();
  const perCycle = Object.fromEntries(Object.entries(counts).map(([t, n]) => [t, n / (streams * cycles)]));
  const sameAsDemo = JSON.stringify(Object.entries(perCycle).sort()) === JSON.stringify(Object.entries(demo).sort());
  console.log(`${m.streams.flat().length} entries in ${streams} streams × ${cycles} cycles: ${refused.length} refused; per cycle ${JSON.stringify(perCycle)}; demo chain ${JSON.stringify(demo)}`);
  for (const r of refused.slice(0, 10)) console.log(`  refused ${r}`);
  process.exit(refused.length === 0 && sameAsDemo ? 0 : 1);
}
