/**
 * Issue 16 "Smaller": an off-curve public key must be refused at registration, as the README says
 * ("a public key must be a canonical point encoding"). A 32-byte string whose y has no x on the
 * curve (RFC 8032 §5.1.3 step 3 finds no square root) is no key at all; before the fix it was
 * registered, and so was a non-canonical y ≥ p through key.add as through register.
 */
import t from 'tap';
import * as ed from '@noble/ed25519';
import { toBase64Url, toHex } from '../../src/core/bytes.js';
import { isStrongPublicKey } from '../../src/core/ed25519.js';
import { makeLedger, party } from '../helpers.js';

/** The first encodings (y = 2, 3, …, sign bit clear) that decode to no curve point. */
function offCurveKeys(count: number): Uint8Array[] {
  const found: Uint8Array[] = [];
  for (let y = 2; found.length < count; y++) {
    const enc = new Uint8Array(32);
    enc[0] = y & 0xff;
    enc[1] = y >> 8;
    try {
      ed.Point.fromBytes(enc);
    } catch {
      found.push(enc);
    }
  }
  return found;
}

const yAtLeastP = (): Uint8Array => {
  const enc = new Uint8Array(32).fill(0xff);
  enc[0] = 0xee; // y = p + 1 = 2^255 - 18: non-canonical, RFC 8032 §5.1.3 step 1 refuses it
  enc[31] = 0x7f;
  return enc;
};

t.test('isStrongPublicKey refuses encodings that are no curve point', async (t) => {
  for (const key of offCurveKeys(20)) t.notOk(isStrongPublicKey(key), `off-curve ${toHex(key).slice(0, 8)}…`);
  t.notOk(isStrongPublicKey(yAtLeastP()), 'y ≥ p');
  t.ok(isStrongPublicKey(party('honest').publicKey), 'an honest key still passes');
});

t.test('registration and key.add refuse an off-curve or non-canonical key', async (t) => {
  const L = await makeLedger();
  t.teardown(() => L.close());
  const size = L.ledger.size();
  const [offCurve] = offCurveKeys(1);
  const cases: Array<[string, Uint8Array]> = [['off-curve', offCurve!], ['y ≥ p', yAtLeastP()]];
  for (const [what, key] of cases) {
    await t.rejects(
      L.ledger.submit([L.sign(L.operator, { type: 'participant.register', participant: 'odd', name: 'Odd', roles: ['supplier'], publicKey: toBase64Url(key) })]),
      { code: 'LEDGER_KEY_INVALID' },
      `register with an ${what} key`,
    );
  }
  const sup = party('sup');
  await L.register(sup);
  for (const [what, key] of cases) {
    await t.rejects(
      L.ledger.submit([L.sign(sup, { type: 'participant.key.add', participant: 'sup', publicKey: toBase64Url(key) })]),
      { code: 'LEDGER_KEY_INVALID' },
      `key.add of an ${what} key`,
    );
  }
  t.equal(L.ledger.size(), size + 1, 'only the honest registration went in');
});
