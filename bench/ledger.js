// Ledger targets of issues 2 and 15, measured on the real code (dist/, built by `npm run bench`):
//   batchIngestHttp   POST batches of 100 signed entries of the demo-chain mix, 8 connections,
//                     server in its own process
//   singleIngestHttp  POST one signed entry of the mix per request, 32 connections
//   batchIngestHttpKeyAdd, singleIngestHttpKeyAdd  the same loads of participant.key.add entries
//                     (informational: the figures of the earlier runs, which used only those)
//   inProcessAppend   await ledger.submit([entry]) one at a time, each durable (fsync'd commit)
//   inclusionProof / consistencyProof  on a 1,000,000-entry log
// The mix (bench/mix.js): commission, transform, ship, receive, inspect and aggregate in the
// proportions of fixtures/demo/chain.json, one independent chain per connection. The key.add
// entries are signed by registered participants, checked like any entry (schema, JCS, signature,
// key validity, replay), and each registers a new key.
import path from 'node:path';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { initDataDir, openDataDir } from '../dist/cli/setup.js';
import { signEntry } from '../dist/core/entry.js';
import { appendLeaf, hashLeaf } from '../dist/core/merkle.js';
import { chainHash, CHAIN_HASH_START } from '../dist/core/record.js';
import { readPrivateKey } from '../dist/cli/keyfiles.js';
import { openLedger } from '../dist/ledger.js';
import { openSqliteStore } from '../dist/store/sqlite.js';
import { nodeEd25519 } from '../dist/platform/node-crypto.js';
import { sha256 } from '../dist/core/hash.js';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { naiveServerBaseline } from './baselines.js';
import { CYCLE_LENGTH, CYCLE_TYPES, prepareMix } from './mix.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const b64url = (b) => Buffer.from(b).toString('base64url');

function newKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // DER, not JWK: exporting private key material as JWK deadlocks now and then on Node 20.20.
  const seed = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32));
  const pub = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
  return { seed, publicKey: pub };
}

/** A data dir with `signers` registered participants; returns their keys. */
export async function makeDataDir(lib, signers) {
  const td = lib.tempDir('bench-ledger-');
  const db = path.join(td.dir, 'ledger.db');
  await initDataDir({ db, origin: 'bench.trace-ledger.local/log', operatorId: 'operator', operatorName: 'Bench operator' });
  const operatorSeed = readPrivateKey(path.join(td.dir, 'operator.key.pem'));
  const parties = Array.from({ length: signers }, (_, i) => ({ id: `bench-supplier-${i}`, ...newKeyPair() }));
  const { store, ledger } = openDataDir(db);
  await ledger.verified; // writes are taken once the start-up verification passed
  await ledger.submit(
    parties.map((p) =>
      signEntry(
        { type: 'participant.register', id: `register-${p.id}`, signer: 'operator', time: new Date().toISOString(), participant: p.id, name: p.id, roles: ['supplier'], publicKey: b64url(p.publicKey) },
        operatorSeed,
        nodeEd25519,
      ),
    ),
  );
  await ledger.close();
  await store.close();
  return { td, db, parties };
}

/** `count` signed entries (≈ 480 bytes of JSON each), round-robin over the parties. */
export function makeEntries(parties, count) {
  const out = new Array(count);
  const time = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    const p = parties[i % parties.length];
    out[i] = signEntry(
      { type: 'participant.key.add', id: randomUUID(), signer: p.id, time, participant: p.id, publicKey: b64url(newKeyPair().publicKey) },
      p.seed,
      nodeEd25519,
    );
  }
  return out;
}

/** JSON request bodies: one entry each, or arrays of `perRequest` entries (batches). */
export function requestBodies(entries, perRequest) {
  const bodies = [];
  for (let i = 0; i + perRequest <= entries.length; i += perRequest) {
    bodies.push(JSON.stringify(perRequest === 1 ? entries[i] : entries.slice(i, i + perRequest)));
  }
  return bodies;
}

/**
 * The target's own baseline, measured just before and just after its load (the ratio is against
 * their mean). This machine's speed drifts by 20-35 % over the minutes of a run, and the
 * baselines at the start of the run then say more about that drift than about the ledger.
 */
function adjacentBaseline(before, after) {
  return {
    id: before.id,
    name: before.name,
    unit: before.unit,
    opsPerSec: (before.opsPerSec + after.opsPerSec) / 2,
    before: before.opsPerSec,
    after: after.opsPerSec,
    ...(before.p99Ms != null ? { p99Before: before.p99Ms, p99After: after.p99Ms } : {}),
  };
}

/** Entries by type, "commission 4, transform 11, …" (the mix's types first, in CYCLE_TYPES order). */
function typeCounts(entries) {
  const counts = new Map(Object.keys(CYCLE_TYPES).map((t) => [t, 0]));
  for (const e of entries) counts.set(e.payload.type, (counts.get(e.payload.type) ?? 0) + 1);
  return [...counts].map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ');
}

/**
 * The load of a target: pre-signed request bodies in a fresh data dir. `mix`: the demo-chain mix
 * in 2 × `connections` streams (bench/mix.js; the first half for the warm-up); otherwise
 * participant.key.add entries in one list. Sized for `expectedRate` entries/s with 50 % to spare.
 */
async function prepareLoad(lib, { id, mix, connections, perRequest, seconds, warmupSeconds, expectedRate, log }) {
  if (!mix) {
    const pool = Math.ceil(expectedRate * (seconds + warmupSeconds + 1) * 1.5);
    const { td, db, parties } = await makeDataDir(lib, 16);
    log(`  ${id}: signing ${pool.toLocaleString()} participant.key.add entries…`);
    return { td, db, bodies: requestBodies(makeEntries(parties, pool), perRequest), what: 'participant.key.add entries' };
  }
  const perStream = (s) => Math.max(1, Math.ceil((expectedRate * s * 1.5) / connections / CYCLE_LENGTH));
  const cycles = [...Array(connections).fill(perStream(warmupSeconds)), ...Array(connections).fill(perStream(seconds))];
  log(`  ${id}: preparing the mix: ${connections} × ${perStream(warmupSeconds)} cycles for the warm-up, ${connections} × ${perStream(seconds)} for the run…`);
  const t0 = Date.now();
  const { td, db, streams, setupEntries } = await prepareMix(lib, { cycles, log });
  log(`  ${id}: mix prepared in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return {
    td,
    db,
    streams: streams.map((st) => requestBodies(st, perRequest)),
    entries: streams,
    what: `the demo-chain mix (${typeCounts(streams[0].slice(0, CYCLE_LENGTH))} per ${CYCLE_LENGTH}-entry cycle), one chain per connection; ${setupEntries.toLocaleString('en-US')} entries of yesterday's shipments submitted in-process before the load`,
  };
}

async function httpTarget(lib, { id, connections, perRequest, seconds, log, baseline, mix = true }) {
  const expectedRate = perRequest > 1 ? 12_000 : 5_000; // entries/s: sizes the pre-signed pool
  const warmupSeconds = 1;
  const load = await prepareLoad(lib, { id, mix, connections, perRequest, seconds, warmupSeconds, expectedRate, log });
  let server;
  try {
    const before = baseline ? await baseline() : null;
    if (before) log(`  ${id}: ${before.id} just before: ${Math.round(before.opsPerSec).toLocaleString()} ${before.unit}`);
    server = await lib.spawnServer(path.join(HERE, 'ledger-server.js'), ['--db', load.db]);
    log(`  ${id}: server up on ${server.url}`);
    lib.gc();
    const r = await lib.ingestLoad({ url: server.url, connections, bodies: load.bodies, streams: load.streams, dir: load.td.dir, warmupSeconds, seconds });
    log(`  ${id}: ${r.warmedUp} bodies in the warm-up, ${r.used} in the run`);
    await server.stop();
    server = undefined;
    lib.gc();
    const after = baseline ? await baseline() : null;
    if (after) log(`  ${id}: ${after.id} just after: ${Math.round(after.opsPerSec).toLocaleString()} ${after.unit}`);
    // Every entry must be accepted: a refused one did not do the work the figure counts.
    const refused = r.non2xx + r.errors + (r.warmup?.non2xx ?? 0) + (r.warmup?.errors ?? 0);
    const exhausted = r.exhausted;
    if (refused > 0) log(`  ${id}: ${refused} requests refused or failed: ${JSON.stringify(r.refusals ?? r.statusCodes)}`);
    const sent = load.entries
      ? typeCounts(r.usedPerStream.flatMap((n, i) => load.entries[connections + i].slice(0, n * perRequest)))
      : null;
    return {
      id,
      ...(before ? { adjacentBaseline: adjacentBaseline(before, after) } : {}),
      opsPerSec: r.okPerSec * perRequest,
      unit: perRequest > 1 ? 'entries/s' : 'req/s',
      p99Ms: r.latencyMs.p99,
      latencyMs: r.latencyMs,
      requestsPerSec: r.okPerSec,
      seconds: r.seconds,
      connections,
      refused,
      exhausted,
      refusals: r.refusals,
      details: [
        `${r.ok.toLocaleString()} × 2xx in ${r.seconds.toFixed(1)} s, non-2xx ${r.non2xx}, errors ${r.errors}${r.warmup ? ` (warm-up: ${r.warmup.ok} × 2xx, non-2xx ${r.warmup.non2xx}, errors ${r.warmup.errors})` : ''}, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`,
        `${perRequest > 1 ? `batches of ${perRequest} of ` : ''}${load.what}`,
        sent ? `sent in the run: ${sent}` : null,
        exhausted > 0 ? `${exhausted} requests past the end of their stream (pool too small)` : null,
      ].filter(Boolean).join('; '),
    };
  } finally {
    if (server) await server.stop();
    load.td.remove();
  }
}

async function inProcessAppend(lib, { seconds, log }) {
  const { td, db, parties } = await makeDataDir(lib, 4);
  try {
    const entries = makeEntries(parties, Math.ceil(6_000 * seconds));
    log(`  inProcessAppend: ${entries.length.toLocaleString()} entries signed`);
    const { store, ledger } = openDataDir(db);
    await ledger.verified; // writes are taken once the start-up verification passed
    for (let i = 0; i < 200; i++) await ledger.submit([entries.pop()]); // warm-up
    const latencies = [];
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(seconds * 1e9);
    let n = 0;
    while (entries.length > 0) {
      const t0 = process.hrtime.bigint();
      if (t0 > deadline) break;
      await ledger.submit([entries.pop()]);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      n++;
    }
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    await ledger.close();
    await store.close();
    const s = lib.summarize(latencies);
    return { id: 'inProcessAppend', opsPerSec: n / elapsed, unit: 'appends/s', p99Ms: s.p99, details: `${n.toLocaleString()} appends in ${elapsed.toFixed(2)} s, p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms; each submit awaited (durable commit) before the next` };
  } finally {
    td.remove();
  }
}

/**
 * A 1,000,000-entry log for the proof targets. Building it through the full append path takes
 * minutes, and proofs only read the stored tree, so records 1..N-1 are synthetic (valid JSON
 * records, correct leaf, chain and Merkle node hashes) written straight into the store.
 */
export async function proofTargets(lib, { size, log }) {
  const td = lib.tempDir('bench-proofs-');
  try {
    const db = path.join(td.dir, 'ledger.db');
    await initDataDir({ db, origin: 'bench.trace-ledger.local/log', operatorId: 'operator', operatorName: 'Bench operator' });
    const store = openSqliteStore(db);
    const first = store.record(0);
    let frontier = [first.leafHash];
    let chain = first.chainHash;
    const t0 = Date.now();
    const payloadHash = sha256(new Uint8Array([1]));
    const CHUNK = 50_000;
    for (let start = 1; start < size; start += CHUNK) {
      store.transaction(() => {
        for (let seq = start; seq < Math.min(size, start + CHUNK); seq++) {
          const leaf = Buffer.from(`{"entry":{"payload":{"n":${seq}}},"recordedAt":"2026-11-29T00:00:00.000Z","seq":${seq}}`);
          const leafHash = hashLeaf(leaf);
          chain = chainHash(chain, leafHash);
          const r = appendLeaf(frontier, seq, leafHash);
          frontier = r.frontier;
          store.insertRecord({ seq, signer: 'synthetic', entryId: String(seq), type: 'synthetic', payloadHash, leaf, leafHash, chainHash: chain });
          store.insertNodes(r.newNodes);
        }
      });
      if ((start - 1) % 200_000 === 0) log(`  proofs: building the ${size.toLocaleString()}-entry log… ${start.toLocaleString()}`);
    }
    log(`  proofs: log built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await store.close();
    const { store: s2, ledger } = openDataDir(db);
    await ledger.verified; // writes are taken once the start-up verification passed
    const rand = (n) => Math.floor(Math.random() * n);
    const timeIt = (fn, count) => {
      for (let i = 0; i < 200; i++) fn(); // warm-up
      const xs = [];
      for (let i = 0; i < count; i++) {
        const a = process.hrtime.bigint();
        fn();
        xs.push(Number(process.hrtime.bigint() - a) / 1e6);
      }
      return lib.summarize(xs);
    };
    const inc = timeIt(() => ledger.inclusionProof(rand(size), size), 5_000);
    const con = timeIt(() => ledger.consistencyProof(1 + rand(size - 1), size), 5_000);
    await ledger.close();
    await s2.close();
    const row = (id, s, what) => ({ id, opsPerSec: 1000 / s.mean, unit: 'proofs/s', p99Ms: s.p99, meanMs: s.mean, details: `${what}; 5,000 random proofs at size ${size.toLocaleString()}: mean ${s.mean.toFixed(3)} ms, p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms` });
    return [row('inclusionProof', inc, 'ledger.inclusionProof(seq, size), incl. root'), row('consistencyProof', con, 'ledger.consistencyProof(from, size), incl. both roots')];
  } finally {
    td.remove();
  }
}

export async function ledgerTargets(ctx) {
  const { lib, quick, log } = ctx;
  const seconds = quick ? 2 : 5;
  // `--only` with ids of these targets runs just those (and with baseline ids alone, all of them).
  const ids = ['batchIngestHttp', 'singleIngestHttp', 'batchIngestHttpKeyAdd', 'singleIngestHttpKeyAdd', 'inProcessAppend', 'proofs'];
  const only = ctx.only && ids.some((x) => ctx.only.has(x)) ? ctx.only : null;
  const wanted = (id) => only === null || only.has(id);
  const out = [];
  // In a process of its own, as at the start of the run (see bench/baseline-child.js).
  const verify = async () => JSON.parse(execFileSync(process.execPath, ['--expose-gc', path.join(HERE, 'baseline-child.js'), 'verify', String(quick ? 1 : 3)], { encoding: 'utf8' }));
  const naive = () => naiveServerBaseline({ seconds });
  if (wanted('batchIngestHttp')) out.push(await httpTarget(lib, { id: 'batchIngestHttp', connections: 8, perRequest: 100, seconds, log, baseline: verify }));
  if (wanted('singleIngestHttp')) out.push(await httpTarget(lib, { id: 'singleIngestHttp', connections: 32, perRequest: 1, seconds, log, baseline: naive }));
  // Informational: the same loads of participant.key.add entries (what these targets measured
  // until issue 15), without baselines of their own.
  if (wanted('batchIngestHttpKeyAdd')) out.push(await httpTarget(lib, { id: 'batchIngestHttpKeyAdd', connections: 8, perRequest: 100, seconds, log, mix: false }));
  if (wanted('singleIngestHttpKeyAdd')) out.push(await httpTarget(lib, { id: 'singleIngestHttpKeyAdd', connections: 32, perRequest: 1, seconds, log, mix: false }));
  if (wanted('inProcessAppend')) out.push(await inProcessAppend(lib, { seconds: quick ? 2 : 3, log }));
  if (wanted('proofs')) out.push(...(await proofTargets(lib, { size: quick ? 100_000 : 1_000_000, log })));
  return out;
}
