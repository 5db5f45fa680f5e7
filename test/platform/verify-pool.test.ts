import t from 'tap';
import { randomBytes } from 'node:crypto';
import { nodeEd25519 } from '../../src/platform/node-crypto.js';
import { startVerifyPool, type VerifyItem } from '../../src/platform/verify-pool.js';

/** A signed item; `bad` flips a bit of the signature. */
function item(bad: boolean): VerifyItem {
  const seed = new Uint8Array(randomBytes(32));
  const message = new Uint8Array(randomBytes(40));
  const signature = nodeEd25519.sign(message, seed);
  if (bad) signature[7]! ^= 1;
  return { signature, message, publicKey: nodeEd25519.publicKey(seed) };
}

t.test('calls made in one turn each get their own verdicts, in order, whatever their sizes', async (t) => {
  const pool = startVerifyPool();
  t.teardown(() => pool.close());
  // Sizes around the reply threshold (64): single entries that share one answer, batches that get
  // their own, a call spanning an answer boundary; bad signatures at known places.
  const sizes = [1, 1, 100, 3, 1, 70, 63, 1, 130, 2];
  const calls = sizes.map((n, k) => Array.from({ length: n }, (_, i) => ({ bad: (i + k) % 7 === 0, it: item((i + k) % 7 === 0) })));
  const answers = await Promise.all(calls.map((c) => pool.verifyMany(c.map((x) => x.it))));
  t.equal(answers.length, sizes.length);
  answers.forEach((a, k) => {
    t.same(a, calls[k]!.map((x) => !x.bad), `call ${k} (${sizes[k]} signatures): its own verdicts`);
  });
  // And again across turns, with an empty call among them.
  const later = await Promise.all([pool.verifyMany([]), pool.verifyMany([item(false)]), pool.verifyMany([item(true), item(false)])]);
  t.same(later, [[], [true], [false, true]]);
});

t.test('malformed items are failed verifications, not errors', async (t) => {
  const pool = startVerifyPool();
  t.teardown(() => pool.close());
  const good = item(false);
  const r = await pool.verifyMany([
    { ...good, signature: good.signature.subarray(0, 63) },
    { ...good, publicKey: new Uint8Array(31) },
    { ...good, publicKey: new Uint8Array(32).fill(0xff) },
    good,
  ]);
  t.same(r, [false, false, false, true]);
});

t.test('messages of any length, and views into larger buffers, are checked as they are', async (t) => {
  const pool = startVerifyPool();
  t.teardown(() => pool.close());
  const seed = new Uint8Array(randomBytes(32));
  const publicKey = nodeEd25519.publicKey(seed);
  const backing = new Uint8Array(randomBytes(20_000));
  const lengths = [0, 1, 95, 101, 480, 4096, 15_000];
  const items = lengths.map((n, i) => {
    const message = backing.subarray(i * 3, i * 3 + n);
    return { signature: nodeEd25519.sign(message, seed), message, publicKey: publicKey.subarray(0) };
  });
  // The same signatures over messages one byte shorter do not verify.
  const shorter = items.filter((x) => x.message.length > 0).map((x) => ({ ...x, message: x.message.subarray(0, x.message.length - 1) }));
  const r = await pool.verifyMany([...items, ...shorter]);
  t.same(r, [...items.map(() => true), ...shorter.map(() => false)]);
});
