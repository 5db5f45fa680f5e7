/**
 * The LedgerStore interface's cases, run against every engine (store-interface.test.ts for SQLite,
 * postgres.test.ts for PostgreSQL): what the ledger relies on, not how an engine keeps it.
 */
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { fromBase64, fromHex, toBase64Url } from '../../src/core/bytes.js';
import { signEntry, type PayloadBase } from '../../src/core/entry.js';
import { verifyCheckpoint } from '../../src/core/checkpoint.js';
import { nobleEd25519 } from '../../src/core/ed25519.js';
import { verifyConsistency, verifyInclusion } from '../../src/core/merkle.js';
import { openLedger, type Ledger } from '../../src/ledger.js';
import type { LedgerStore, NewRecord } from '../../src/store/store.js';
import { party } from '../helpers.js';
import { submitDemo } from '../helpers/demo-mix.js';
import { demoChain, demoParticipants } from '../../src/cli/demo.js';

export interface Engine {
  readonly name: string;
  /** A new, empty database; `reopen` opens it again (after the first store was closed). */
  create(t: Test): Promise<{ store: LedgerStore; reopen(): LedgerStore }>;
}

export const ORIGIN = 'test.trace-ledger.local/log';

const bytes = (n: number) => new Uint8Array(randomBytes(n));
export function fakeRecord(seq: number, over: Partial<NewRecord> = {}): NewRecord {
  return {
    seq, signer: 'someone', entryId: `e-${seq}-${randomBytes(4).toString('hex')}`, type: 'participant.key.add', payloadHash: bytes(32),
    leaf: new TextEncoder().encode(`{"seq":${seq}}`), leafHash: bytes(32), chainHash: bytes(32), ...over,
  };
}

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return (e as { code?: unknown }).code ?? (e as Error).name;
  }
  return undefined;
}

export function storeCases(t: Test, engine: Engine): void {
  t.test(`${engine.name}: an empty store answers as empty`, async (t) => {
    const { store } = await engine.create(t);
    t.equal(store.size(), 0);
    t.equal(store.recordCount(), 0);
    t.equal(store.record(0), undefined);
    t.same(store.records(-1, 10), []);
    t.same([...store.iterateRecords(0, 10)], []);
    t.equal(store.latestCheckpoint(), undefined);
    t.same(store.participants(), []);
    t.equal(store.meta('origin'), undefined);
    t.equal(store.entryBySignerId('a', 'b'), undefined);
    t.equal(store.seqOfLeafHash(bytes(32)), undefined);
    t.equal(codeOf(() => store.node(1, 0)), 'LEDGER_STORE_CORRUPT', 'a missing Merkle node is a corrupt store');
    t.same(store.derivedTables(), [
      'participants', 'participant_keys', 'participant_prefixes', 'company_prefixes', 'prefix_delegations',
      'objects', 'holdings', 'edges', 'containment', 'shipments', 'shipment_items', 'touches', 'retractions',
    ]);
  });

  t.test(`${engine.name}: transactions commit, roll back, nest as savepoints; reads see earlier writes`, async (t) => {
    const { store } = await engine.create(t);
    store.transaction(() => {
      store.setMeta('a', '1');
      t.equal(store.meta('a'), '1', 'a read inside the transaction sees its write');
    });
    t.equal(store.meta('a'), '1');
    t.throws(() => store.transaction(() => {
      store.setMeta('a', '2');
      store.insertRecord(fakeRecord(0));
      throw new Error('rolled back');
    }), { message: 'rolled back' });
    t.equal(store.meta('a'), '1', 'a throw rolls the whole transaction back');
    t.equal(store.size(), 0);

    store.transaction(() => {
      store.insertRecord(fakeRecord(0));
      t.throws(() => store.savepoint(() => {
        store.insertRecord(fakeRecord(1));
        throw new Error('batch rejected');
      }));
      t.equal(store.size(), 1, 'the savepoint took back its own record only');
      store.savepoint(() => store.insertRecord(fakeRecord(1)));
      t.throws(() => store.transaction(() => {
        store.setMeta('b', 'nested');
        throw new Error('nested');
      }));
      t.equal(store.meta('b'), undefined, 'a nested transaction is a savepoint');
    });
    t.equal(store.size(), 2);
    t.equal(store.recordCount(), 2);
    t.equal(store.readTransaction(() => store.size() + store.recordCount()), 4, 'a read transaction returns its value');
    t.equal(store.savepoint(() => {
      store.setMeta('c', 'alone');
      return 7;
    }), 7, 'a savepoint outside a transaction is a transaction');
    t.equal(store.meta('c'), 'alone');
    await store.sync();
  });

  t.test(`${engine.name}: the log refuses a record out of sequence, and a Merkle node twice`, async (t) => {
    const { store } = await engine.create(t);
    const first = fakeRecord(0);
    store.transaction(() => store.insertRecord(first));
    t.throws(() => store.transaction(() => store.insertRecord(fakeRecord(2))), 'a gap');
    t.throws(() => store.transaction(() => store.insertRecord(fakeRecord(0))), 'a seq taken');
    // A repeated (signer, id) or leaf hash of the newest records is the ledger's to refuse (SQLite's
    // key tables take them in bulk, src/store/sqlite.ts); postgres.test.ts checks PostgreSQL's indexes.
    store.transaction(() => store.insertNodes([{ level: 1, index: 0, hash: bytes(32) }]));
    t.throws(() => store.transaction(() => store.insertNodes([{ level: 1, index: 0, hash: bytes(32) }])), 'a Merkle node again');
    t.equal(store.size(), 1);
    t.same(store.entryBySignerId(first.signer, first.entryId), { seq: 0, payloadHash: first.payloadHash });
    t.equal(store.seqOfLeafHash(first.leafHash), 0);
    t.same(store.record(0), { seq: 0, leaf: first.leaf, leafHash: first.leafHash, chainHash: first.chainHash });
  });

  t.test(`${engine.name}: a ledger on the store: the demo chain, proofs, checkpoints, start-up check after reopening`, async (t) => {
    const { store, reopen } = await engine.create(t);
    const ledgerSeed = bytes(32);
    const operator = party('operator');
    let ledger: Ledger = openLedger({ store, origin: ORIGIN, ledgerSeed });
    await ledger.initGenesis({ operator: { id: operator.id, name: 'Operator', publicKey: operator.publicKey } });
    const receipts = await submitDemo(ledger, operator.seed);
    const size = ledger.size();
    const demo = { participants: demoParticipants().length, entries: demoChain().entries.length };
    t.equal(size, 1 + demo.participants + demo.entries, 'genesis, the registrations, the chain entries');
    t.equal(store.recordCount(), size);

    const cp = ledger.checkpoint(size);
    const signed = verifyCheckpoint(cp.note, ledger.verifierKey);
    t.equal(signed.size, size);
    for (const seq of [0, 1, Math.floor(size / 2), size - 1]) {
      const proof = ledger.inclusionProof(seq, size);
      verifyInclusion(fromHex(proof.leafHash), seq, size, proof.hashes.map(fromBase64), signed.root);
    }
    const c = ledger.consistencyProof(10, size);
    verifyConsistency(10, size, c.hashes.map(fromBase64), fromBase64(c.fromRoot), signed.root);
    t.pass('inclusion and consistency proofs verify against the signed checkpoint');

    for (const [id, r] of receipts) {
      const seq = store.seqOfLeafHash(fromHex(r.leafHash));
      if (seq !== r.seq) t.fail(`leaf hash of ${id} finds seq ${seq}, not ${r.seq}`);
    }
    t.equal([...store.iterateRecords(0, size)].length, size, 'iterateRecords yields every record');
    t.equal([...store.iterateRecords(5, 7)].map((r) => r.seq).join(), '5,6');
    t.ok(store.signersBetween(0, size).includes('operator'));
    t.equal(store.participants().length, 2 + demo.participants, 'ledger, operator and the demo participants');
    t.equal(store.latestCheckpoint()?.size, size);

    // A resubmission is recognised through (signer, id), as after a restart.
    const replayed = await ledger.submit([ledger.record(20).record.entry]);
    t.equal(replayed[0]!.seq, 20, 'a replay answers with the original receipt');
    t.equal(ledger.size(), size);

    const dump = store.dumpProjections();
    await ledger.close();
    await store.close();

    const again = reopen();
    t.teardown(() => again.close());
    ledger = openLedger({ store: again, origin: ORIGIN, ledgerSeed });
    await ledger.verified;
    t.equal(ledger.size(), size, 'the reopened log has every record, and passes the start-up check');
    t.same(again.dumpProjections(), dump, 'the derived tables are the same after reopening');
    verifyCheckpoint(ledger.checkpoint(size).note, ledger.verifierKey);
    const newcomer = party('newcomer');
    const [next] = await ledger.submit([
      signEntry({ type: 'participant.register', id: 'register-newcomer', signer: operator.id, time: new Date().toISOString(), participant: newcomer.id, name: 'Newcomer', roles: ['supplier'], publicKey: toBase64Url(newcomer.publicKey) } as PayloadBase, operator.seed),
    ]);
    t.equal(next!.seq, size, 'the reopened ledger appends after the last record');
    await ledger.close();
  });

  t.test(`${engine.name}: derived tables page in key order; clearDerived empties them, inside its transaction`, async (t) => {
    const { store } = await engine.create(t);
    const ed = nobleEd25519;
    const names = ['b', 'a', "o'hara", 'Z', 'c'];
    store.transaction(() =>
      store.applyEffects(names.map((id, i) => ({ kind: 'participant.insert', participant: { id, name: id.toUpperCase(), roles: ['supplier'], gln: null, registeredSeq: i } }))),
    );
    store.transaction(() =>
      store.applyEffects([{ kind: 'key.insert', key: { kid: '0011223344556677', participant: 'a', publicKey: ed.publicKey(bytes(32)), addedSeq: 9, revokedSeq: null, addedBy: 'operator', operatorAdded: false } }]),
    );
    const all = store.derivedPage('participants', undefined, 100);
    t.same(all.map((r) => r.key), [['Z'], ['a'], ['b'], ['c'], ["o'hara"]], 'byte order of the keys');
    t.equal(all[4]!.text, `'o''hara','O''HARA','["supplier"]',NULL,2`, "SQLite's quote() of each column");
    t.same(store.derivedPage('participants', ['a'], 2).map((r) => r.key), [['b'], ['c']]);
    t.same(store.derivedPage('participants', ['a'], 0, ['c']).map((r) => r.key), [['b'], ['c']], 'upTo takes every row up to it');
    t.match(store.derivedPage('participant_keys', undefined, 10)[0]!.text, /^9,'0011223344556677','a',X'[0-9A-F]{64}',NULL,'operator',0$/);
    t.equal(store.key('0011223344556677')?.participant, 'a');
    t.throws(() => store.derivedPage('records', undefined, 1), RangeError, 'the log is not a derived table');

    t.throws(() => store.transaction(() => {
      store.clearDerived();
      t.same(store.participants(), []);
      throw new Error('rebuild failed');
    }));
    t.equal(store.participants().length, 5, 'a failed rebuild leaves the registry as it was');
    t.equal(store.key('0011223344556677')?.addedSeq, 9);
    store.transaction(() => store.clearDerived());
    t.same(store.participants(), []);
    t.equal(store.key('0011223344556677'), undefined, 'nothing cached survives clearDerived');
  });
}
