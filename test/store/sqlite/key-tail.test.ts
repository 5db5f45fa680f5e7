/** The in-memory tails of the key index (src/store/sqlite/key-tail.ts). */
import t from 'tap';
import { kidTail, recordTail } from '../../../src/store/sqlite/key-tail.js';

t.test('record tail: lookups, a shared leaf key, truncate takes back exactly the later records', async (t) => {
  const tail = recordTail();
  t.equal(tail.end(), undefined, 'empty');
  tail.add(10, 'acme', 'e-1', 7);
  tail.add(11, 'acme', 'e-2', 7); // another leaf hash with the same 6-byte key
  tail.add(12, 'beta', 'e-1', 9);
  t.equal(tail.length, 3);
  t.equal(tail.end(), 13);
  t.equal(tail.seqOfEntry('acme', 'e-2'), 11);
  t.equal(tail.seqOfEntry('acme\u0000e', '2'), undefined, 'signer and id cannot run into each other');
  t.same(tail.seqsOfLeafKey(7), [10, 11]);
  tail.truncate(1);
  t.equal(tail.length, 1);
  t.equal(tail.end(), 11);
  t.same(tail.seqsOfLeafKey(7), [10], 'the rolled-back seq leaves the shared key');
  t.equal(tail.seqsOfLeafKey(9), undefined, 'a key only the rolled-back record had is gone');
  t.equal(tail.seqOfEntry('beta', 'e-1'), undefined);
  tail.clear();
  t.equal(tail.seqOfEntry('acme', 'e-1'), undefined);
  t.equal(tail.length, 0);
});

t.test("kid tail: by kid, a participant's keys in order, truncate", async (t) => {
  const tail = kidTail();
  tail.add(5, 'ffff000000000000', 'acme');
  tail.add(5, '0000ffff00000000', 'acme');
  tail.add(3, 'aaaa000000000000', 'beta');
  t.equal(tail.seqOf('0000ffff00000000'), 5);
  t.same(tail.of('acme'), [{ seq: 5, kid: '0000ffff00000000', participant: 'acme' }, { seq: 5, kid: 'ffff000000000000', participant: 'acme' }], 'by seq, then kid');
  t.equal(tail.end(), 4, 'one past the last added');
  tail.truncate(1);
  t.equal(tail.seqOf('0000ffff00000000'), undefined);
  t.equal(tail.seqOf('aaaa000000000000'), undefined);
  t.same(tail.of('acme').map((k) => k.kid), ['ffff000000000000']);
});
