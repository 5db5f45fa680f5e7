import t from 'tap';
import { randomBytes } from 'node:crypto';
import { nobleSha256Fn, setSha256, sha256, sha256Implementation } from '../../src/core/hash.js';
import { toHex, utf8 } from '../../src/core/bytes.js';
import { nodeSha256 } from '../../src/platform/node-crypto.js';

t.test('node:crypto SHA-256 agrees with noble on every length around the block sizes', async (t) => {
  let mismatches = 0;
  for (let n = 0; n <= 1100; n++) {
    const data = new Uint8Array(randomBytes(n));
    if (toHex(nodeSha256(data)) !== toHex(nobleSha256Fn(data))) mismatches++;
  }
  t.equal(mismatches, 0);
  // FIPS 180-4 example: SHA-256("abc")
  t.equal(toHex(nodeSha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  // a view of part of a larger buffer hashes only that part
  const big = new Uint8Array(randomBytes(300));
  t.equal(toHex(nodeSha256(big.subarray(17, 250))), toHex(nobleSha256Fn(big.slice(17, 250))));
});

t.test('loading the node platform switches the core to it, and results are plain Uint8Arrays', async (t) => {
  t.equal(sha256Implementation(), nodeSha256);
  const calls: number[] = [];
  setSha256((data) => {
    calls.push(data.length);
    return nodeSha256(data);
  });
  t.teardown(() => setSha256(nodeSha256));
  const d = sha256(utf8('abc'));
  t.same(calls, [3], 'the core hashes through the installed implementation');
  t.equal(toHex(d), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.equal(Object.getPrototypeOf(d), Uint8Array.prototype, 'not a Buffer, whose slice() would share memory');
});
