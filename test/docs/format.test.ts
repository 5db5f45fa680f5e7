/**
 * docs/format.md is the specification an outside implementer reads, so its worked example must be
 * exactly what trace-ledger produces. This test reads the example blocks out of the document and
 * checks every byte, hash and signature twice: with our code (the real ledger, with a fixed clock,
 * must write these very records and this checkpoint) and independently with node:crypto and a
 * few lines of hand-written canonical JSON, so that a shared bug in src/core cannot hide.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { fromBase64, fromHex, toBase64, toBase64Url, toHex, utf8 } from '../../src/core/bytes.js';
import { canonicalCode } from '../../src/core/codes.js';
import { nobleEd25519 } from '../../src/core/ed25519.js';
import { signEntry, signingMessage, verifyEntrySignature, type Entry } from '../../src/core/entry.js';
import { canonicalize, parseJson } from '../../src/core/jcs.js';
import { formatPrivateKeyPem, formatPublicKeyPem, keyIdOf, parsePrivateKeyPem, parsePublicKeyPem } from '../../src/core/keys.js';
import { hashLeaf, rootFromLeafHashes, verifyInclusion } from '../../src/core/merkle.js';
import { formatVerifierKey, parseVerifierKey } from '../../src/core/note.js';
import { signCheckpoint, verifyCheckpoint } from '../../src/core/checkpoint.js';
import { CHAIN_HASH_START, chainHash, recordLeafBytes, type LedgerRecord } from '../../src/core/record.js';
import { parseEntry } from '../../src/domain/schemas.js';
import { openLedger } from '../../src/ledger.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

const DOC = readFileSync(new URL('../../docs/format.md', import.meta.url), 'utf8');

/** `<!-- example: NAME -->` followed by a fenced block: NAME → the block's text (no final newline). */
function exampleBlocks(doc: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of doc.matchAll(/^<!-- example: ([a-z0-9-]+) -->\n```[a-z]*\n([\s\S]*?)\n```$/gm)) {
    if (blocks.has(m[1]!)) throw new Error(`example block ${m[1]} appears twice`);
    blocks.set(m[1]!, m[2]!);
  }
  return blocks;
}

const blocks = exampleBlocks(DOC);
const block = (name: string): string => {
  const b = blocks.get(name);
  if (b === undefined) throw new Error(`docs/format.md has no example block "${name}"`);
  return b;
};
const values = new Map(
  block('values')
    .split('\n')
    .map((line) => {
      const m = /^(\S+) +(\S+)$/.exec(line);
      if (!m) throw new Error(`values line ${JSON.stringify(line)} is not "name value"`);
      return [m[1]!, m[2]!] as const;
    }),
);
const value = (name: string): string => {
  const v = values.get(name);
  if (v === undefined) throw new Error(`docs/format.md values block has no "${name}"`);
  return v;
};

const ORIGIN = value('origin');
const LEDGER_SEED = fromHex(value('ledger-seed'), 32);
const OPERATOR_SEED = fromHex(value('operator-seed'), 32);
const entry = parseJson(block('entry')) as Entry;
const leaf0 = block('leaf-0');
const leaf1 = block('leaf-1');
const note = `${block('checkpoint')}\n`;
const verifierKey = block('verifier-key');

// ---- independent reference: node:crypto and hand-written canonical JSON ------------------------

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
/** RFC 8785 for the plain data of the example: ASCII member names, strings, integers, arrays. */
const naiveJcs = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(naiveJcs).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${naiveJcs(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
};
const publicKeyObject = (raw: Uint8Array): KeyObject =>
  createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
const rawPublicKey = (key: KeyObject): Buffer => Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');

t.test('the document holds every example block, each once', async (t) => {
  const names = ['values', 'codes', 'operator-private-pem', 'operator-public-pem', 'entry', 'payload-jcs', 'signed-message-hex', 'leaf-0', 'leaf-1', 'verifier-key', 'checkpoint'];
  t.same([...blocks.keys()].sort(), names.sort());
  t.equal(values.size, 15, 'the values block has 15 lines');
});

t.test('keys: our code and node:crypto agree with the document', async (t) => {
  const operatorPub = fromHex(value('operator-public-key'), 32);
  const ledgerPub = fromHex(value('ledger-public-key'), 32);
  t.same(nobleEd25519.publicKey(OPERATOR_SEED), operatorPub, 'operator public key of the seed (ours)');
  t.same(nobleEd25519.publicKey(LEDGER_SEED), ledgerPub, 'ledger public key of the seed (ours)');
  t.equal(value('operator-public-key-b64url'), toBase64Url(operatorPub));
  t.equal(Buffer.from(value('operator-public-key-b64url'), 'base64url').toString('hex'), value('operator-public-key'));
  t.equal(keyIdOf(operatorPub), value('operator-kid'));
  t.equal(keyIdOf(ledgerPub), value('ledger-kid'));
  t.equal(sha256(operatorPub).subarray(0, 8).toString('hex'), value('operator-kid'), 'kid (node:crypto)');
  t.equal(sha256(ledgerPub).subarray(0, 8).toString('hex'), value('ledger-kid'), 'ledger kid (node:crypto)');

  t.equal(`${block('operator-private-pem')}\n`, formatPrivateKeyPem(OPERATOR_SEED));
  t.equal(`${block('operator-public-pem')}\n`, formatPublicKeyPem(operatorPub));
  t.same(parsePrivateKeyPem(block('operator-private-pem')), OPERATOR_SEED);
  t.same(parsePublicKeyPem(block('operator-public-pem')), operatorPub);
  // OpenSSL reads the PEM files itself and derives the same public key from the private one.
  const priv = createPrivateKey(block('operator-private-pem'));
  t.equal(rawPublicKey(createPublicKey(priv)).toString('hex'), value('operator-public-key'), 'PKCS#8 → public key (node:crypto)');
  t.equal(rawPublicKey(createPublicKey(block('operator-public-pem'))).toString('hex'), value('operator-public-key'), 'SPKI (node:crypto)');
  const ledgerPriv = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), LEDGER_SEED]), format: 'der', type: 'pkcs8' });
  t.equal(rawPublicKey(createPublicKey(ledgerPriv)).toString('hex'), value('ledger-public-key'), 'ledger seed → public key (node:crypto)');
});

t.test('entry: canonical payload, signed message, kid and signature', async (t) => {
  const { payload, signature } = entry;
  t.equal(canonicalize(payload), block('payload-jcs'), 'JCS(payload) (ours)');
  t.equal(naiveJcs(payload), block('payload-jcs'), 'JCS(payload) (by hand)');
  t.equal(utf8(block('payload-jcs')).length, 259, 'the byte count the text gives');

  const messageHex = block('signed-message-hex').replace(/\s+/g, '');
  t.equal(toHex(signingMessage(payload)), messageHex, 'signed message (ours)');
  const message = Buffer.concat([Buffer.from('trace-ledger/v1 entry\n', 'utf8'), Buffer.from(block('payload-jcs'), 'utf8')]);
  t.equal(message.toString('hex'), messageHex, 'signed message (by hand)');
  t.equal(message.length, 281);

  t.same(signEntry(payload, OPERATOR_SEED), entry, 'signEntry with the TEST 1 seed gives the documented entry');
  t.doesNotThrow(() => verifyEntrySignature(signingMessage(payload), signature, fromHex(value('operator-public-key'))));
  t.equal(signature.kid, value('operator-kid'));

  const operatorKey = publicKeyObject(fromHex(value('operator-public-key')));
  const sig = Buffer.from(signature.sig, 'base64url');
  t.equal(sig.length, 64);
  t.ok(nodeVerify(null, message, operatorKey, sig), 'signature verifies (node:crypto)');
  const operatorPriv = createPrivateKey(block('operator-private-pem'));
  t.equal(nodeSign(null, message, operatorPriv).toString('base64url'), signature.sig, 'Ed25519 is deterministic: node:crypto signs the same bytes');
  t.notOk(nodeVerify(null, Buffer.concat([message, Buffer.from(' ')]), operatorKey, sig), 'and the signature is bound to the message');

  t.doesNotThrow(() => parseEntry(entry), 'the example entry is valid under the payload schema');
});

t.test('records: leaf bytes, leaf hashes, chain hashes', async (t) => {
  const record0 = parseJson(leaf0) as LedgerRecord;
  const record1 = parseJson(leaf1) as LedgerRecord;
  t.equal(new TextDecoder().decode(recordLeafBytes(record0)), leaf0, 'leaf-0 is JCS(record) (ours)');
  t.equal(new TextDecoder().decode(recordLeafBytes(record1)), leaf1, 'leaf-1 is JCS(record) (ours)');
  t.equal(naiveJcs(record0), leaf0, 'leaf-0 (by hand)');
  t.equal(naiveJcs(record1), leaf1, 'leaf-1 (by hand)');
  t.same(record1.entry, entry, 'record 1 carries the documented entry');
  t.equal(record0.seq, 0);
  t.equal(record1.seq, 1);

  const l0 = hashLeaf(utf8(leaf0));
  const l1 = hashLeaf(utf8(leaf1));
  t.equal(toHex(l0), value('leaf-hash-0'));
  t.equal(toHex(l1), value('leaf-hash-1'));
  const c0 = chainHash(CHAIN_HASH_START, l0);
  t.equal(toHex(c0), value('chain-hash-0'));
  t.equal(toHex(chainHash(c0, l1)), value('chain-hash-1'));

  const n0 = sha256(Uint8Array.of(0), Buffer.from(leaf0, 'utf8'));
  const n1 = sha256(Uint8Array.of(0), Buffer.from(leaf1, 'utf8'));
  t.equal(n0.toString('hex'), value('leaf-hash-0'), 'leaf hash 0 (node:crypto)');
  t.equal(n1.toString('hex'), value('leaf-hash-1'), 'leaf hash 1 (node:crypto)');
  const nc0 = sha256(new Uint8Array(32), n0);
  t.equal(nc0.toString('hex'), value('chain-hash-0'), 'chain hash 0 (node:crypto)');
  t.equal(sha256(nc0, n1).toString('hex'), value('chain-hash-1'), 'chain hash 1 (node:crypto)');

  // Genesis: signed by the ledger key, and naming the documented verifier key.
  const genesis = record0.entry;
  t.equal(genesis.payload['ledgerKey'], verifierKey);
  t.equal(genesis.signature.kid, value('ledger-kid'));
  t.doesNotThrow(() => verifyEntrySignature(signingMessage(genesis.payload), genesis.signature, fromHex(value('ledger-public-key'))));
  const genesisMessage = Buffer.concat([Buffer.from('trace-ledger/v1 entry\n'), Buffer.from(naiveJcs(genesis.payload), 'utf8')]);
  t.ok(nodeVerify(null, genesisMessage, publicKeyObject(fromHex(value('ledger-public-key'))), Buffer.from(genesis.signature.sig, 'base64url')), 'genesis signature (node:crypto)');
});

t.test('Merkle root and the inclusion proof', async (t) => {
  const l0 = fromHex(value('leaf-hash-0'));
  const l1 = fromHex(value('leaf-hash-1'));
  const root = fromHex(value('root-2'));
  t.same(rootFromLeafHashes([l0, l1]), root, 'root (ours)');
  t.equal(sha256(Uint8Array.of(1), l0, l1).toString('hex'), value('root-2'), 'root (node:crypto)');
  const proof = [fromBase64(value('inclusion-1-of-2'))];
  t.same(proof[0], l0, 'the proof of leaf 1 is leaf 0');
  t.doesNotThrow(() => verifyInclusion(l1, 1, 2, proof, root));
  t.equal(sha256(Uint8Array.of(1), proof[0]!, l1).toString('hex'), value('root-2'), 'proof folds to the root (node:crypto)');
});

t.test('checkpoint note and verifier key', async (t) => {
  const ledgerPub = fromHex(value('ledger-public-key'), 32);
  const root = fromHex(value('root-2'));
  t.equal(formatVerifierKey(ORIGIN, ledgerPub), verifierKey, 'verifier key (ours)');
  t.equal(toHex(parseVerifierKey(verifierKey).keyId), value('ledger-note-key-id'));
  t.equal(signCheckpoint({ origin: ORIGIN, size: 2, root }, { name: ORIGIN, seed: LEDGER_SEED }), note, 'checkpoint note (ours)');
  const cp = verifyCheckpoint(note, verifierKey);
  t.same({ origin: cp.origin, size: cp.size, root: toHex(cp.root) }, { origin: ORIGIN, size: 2, root: value('root-2') });

  // Independently: the key string, the key ID, the note's layout and its signature.
  const [name, idHex, key64] = verifierKey.split('+') as [string, string, string];
  const noteKeyId = sha256(Buffer.from(name, 'utf8'), Uint8Array.of(0x0a, 0x01), ledgerPub).subarray(0, 4);
  t.equal(idHex, noteKeyId.toString('hex'), 'key ID (node:crypto)');
  t.equal(idHex, value('ledger-note-key-id'));
  t.equal(Buffer.from(key64, 'base64').toString('hex'), `01${value('ledger-public-key')}`, 'verifier key carries 0x01 ‖ public key');

  const split = note.lastIndexOf('\n\n');
  const body = note.slice(0, split + 1);
  t.equal(body, `${ORIGIN}\n2\n${toBase64(root)}\n`, 'body: origin, size, base64 root');
  t.equal(Buffer.from(body.split('\n')[2]!, 'base64').toString('hex'), value('root-2'));
  const m = /^\u2014 (\S+) (\S+)\n$/.exec(note.slice(split + 2));
  t.ok(m, 'one signature line: em dash, space, name, space, base64');
  const raw = Buffer.from(m![2]!, 'base64');
  t.equal(m![1], ORIGIN, 'signed under the origin');
  t.equal(raw.subarray(0, 4).toString('hex'), value('ledger-note-key-id'), 'the line starts with the key ID');
  t.ok(nodeVerify(null, Buffer.from(body, 'utf8'), publicKeyObject(ledgerPub), raw.subarray(4)), 'note signature (node:crypto)');
});

t.test('the ledger itself writes exactly the documented records and checkpoint', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-format-doc-'));
  const store = openSqliteStore(join(dir, 'ledger.db'));
  const record0 = parseJson(leaf0) as LedgerRecord;
  const record1 = parseJson(leaf1) as LedgerRecord;
  let clock = Date.parse(record0.recordedAt);
  const ledger = openLedger({ store, origin: ORIGIN, ledgerSeed: LEDGER_SEED, now: () => clock });
  t.teardown(async () => {
    await ledger.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const operator = record0.entry.payload['operator'] as { id: string; name: string };
  await ledger.initGenesis({ operator: { id: operator.id, name: operator.name, publicKey: fromHex(value('operator-public-key')) } });
  clock = Date.parse(record1.recordedAt);
  const [receipt] = await ledger.submit([entry]);
  t.same(receipt, { seq: 1, leafHash: value('leaf-hash-1'), chainHash: value('chain-hash-1'), recordedAt: record1.recordedAt });

  const stored = ledger.records(-1, 10);
  t.equal(stored.length, 2);
  t.same(stored.map((r) => canonicalize(r.record)), [leaf0, leaf1], 'leaf bytes');
  t.same(stored.map((r) => [r.leafHash, r.chainHash]), [
    [value('leaf-hash-0'), value('chain-hash-0')],
    [value('leaf-hash-1'), value('chain-hash-1')],
  ]);
  t.equal(ledger.verifierKey, verifierKey);
  t.equal(ledger.checkpoint(2).note, note, 'GET /v1/checkpoint of size 2');
  t.same(ledger.inclusionProof(1, 2).hashes, [value('inclusion-1-of-2')], 'GET /v1/proofs/inclusion?seq=1&size=2');
});

t.test('object codes: each spelling has the documented canonical form', async (t) => {
  const lines = block('codes').split('\n');
  t.ok(lines.length >= 8);
  for (const line of lines) {
    const [input, canonical] = line.split(/ +→ +/) as [string, string];
    t.equal(canonicalCode(input), canonical, input);
    t.equal(canonicalCode(canonical), canonical, `${canonical} is a fixed point`);
  }
});

t.test('every relative link of the page names a file in the repository', async (t) => {
  const links = [...DOC.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
  t.ok(links.length >= 5, `${links.length} relative links`);
  for (const link of links) t.ok(existsSync(new URL(link, new URL('../../docs/', import.meta.url))), link);
});
