/** The company prefix rules (src/domain/prefixes.ts) on the in-memory registry, without a ledger. */
import t from 'tap';
import { toBase64Url } from '../../src/core/bytes.js';
import { gs1CheckDigit, parseCode, type Gs1Code } from '../../src/core/codes.js';
import { memoryPrefixes, prefixDigits, requireCodeOwned } from '../../src/domain/prefixes.js';
import { memoryRegistry, registryEffects } from '../../src/domain/registry.js';
import { parseEntry, type Payload } from '../../src/domain/schemas.js';
import { party } from '../helpers.js';

const withCheck = (body: string): string => body + gs1CheckDigit(body);
const gs1 = (code: string) => parseCode(code) as Gs1Code;
const TIME = '2026-11-02T08:00:00Z';

t.test('prefixDigits: the digits a company prefix begins, for every key and GTIN length', async (t) => {
  const gtin13 = withCheck('061414100001');
  t.equal(prefixDigits(gs1(`/01/${gtin13}`)), gtin13, 'GTIN-13 as written (its GTIN-14 without the indicator 0)');
  t.equal(prefixDigits(gs1(`/01/${withCheck(`1${gtin13.slice(0, -1)}`)}`)).slice(0, 12), gtin13.slice(0, 12), 'GTIN-14 with indicator 1');
  const upc = withCheck('61414100001');
  t.equal(prefixDigits(gs1(`/01/${upc}`)), `0${upc}`, 'U.P.C.: with the leading 0 of its GTIN-13 form');
  const gtin8 = withCheck('9638507');
  t.equal(prefixDigits(gs1(`/01/${gtin8}`)), `00000${gtin8}`, 'GTIN-8: in its zero-padded form');
  const sscc = withCheck('30614141000000001');
  t.equal(prefixDigits(gs1(`/00/${sscc}`)), sscc.slice(1), 'SSCC without its extension digit');
  const gln = withCheck('061414100009');
  t.equal(prefixDigits(gs1(`/414/${gln}`)), gln, 'GLN as it is');
});

/** A registry replayed from payloads (signatures are not the subject here). */
function replay(payloads: Array<Record<string, unknown> & { type: string; signer: string }>) {
  const registry = memoryRegistry();
  payloads.forEach((p, i) => {
    const payload = parseEntry({ payload: { id: `e${i}`, time: TIME, ...p }, signature: { kid: '0'.repeat(16), sig: 'A'.repeat(86) } }).payload as Payload;
    registry.apply(registryEffects(registry.view, payload, i));
  });
  return registry.view;
}

const genesis = {
  type: 'ledger.genesis', signer: 'ledger', origin: 'x.test/log', ledgerKey: 'k', ledgerPublicKey: toBase64Url(party('l').publicKey),
  operator: { id: 'operator', name: 'Op', publicKey: toBase64Url(party('o').publicKey) },
};
const register = (id: string, prefixes?: string[]) => ({
  type: 'participant.register', signer: 'operator', participant: id, name: id, roles: ['manufacturer'], publicKey: toBase64Url(party(id).publicKey), ...(prefixes ? { prefixes } : {}),
});

t.test('requireCodeOwned: owner, delegate, stranger, old-style registration', async (t) => {
  const registry = memoryRegistry();
  const apply = (p: Record<string, unknown> & { type: string }, seq: number) => {
    const payload = parseEntry({ payload: { id: `e${seq}`, time: TIME, ...p }, signature: { kid: '0'.repeat(16), sig: 'A'.repeat(86) } }).payload;
    registry.apply(registryEffects(registry.view, payload, seq));
  };
  apply(genesis, 0);
  apply(register('brand', ['0614141']), 1);
  apply(register('cm', []), 2);
  apply(register('old'), 3);
  const lot = `https://id.gs1.org/01/${withCheck('0061414100001')}/10/L1`;
  const other = `https://id.gs1.org/01/${withCheck('0952000000001')}/10/L1`;
  const v = registry.view;
  t.doesNotThrow(() => requireCodeOwned(v, lot, 'brand', TIME, 'x'), 'the owner');
  t.throws(() => requireCodeOwned(v, lot, 'cm', TIME, 'x'), { code: 'TRACE_CODE_NOT_OWNED' }, 'a participant without prefixes');
  t.throws(() => requireCodeOwned(v, other, 'cm', TIME, 'x'), { code: 'TRACE_CODE_NOT_OWNED' }, '… even under a prefix nobody holds');
  t.throws(() => requireCodeOwned(v, lot, 'old', TIME, 'x'), { code: 'TRACE_CODE_NOT_OWNED' }, 'old-style: not a held prefix');
  t.doesNotThrow(() => requireCodeOwned(v, other, 'old', TIME, 'x'), 'old-style: a prefix nobody holds, as before');
  t.doesNotThrow(() => requireCodeOwned(v, 'urn:trace:cm:lot-1', 'cm', TIME, 'x'), 'urn codes are not GS1 keys');

  apply({ type: 'prefix.delegate', signer: 'brand', prefix: '0614141', to: 'cm', until: '2026-12-31T23:59:59Z' }, 4);
  t.doesNotThrow(() => requireCodeOwned(v, lot, 'cm', TIME, 'x'), 'delegated');
  t.throws(() => requireCodeOwned(v, lot, 'cm', '2027-01-01T00:00:00Z', 'x'), { code: 'TRACE_CODE_NOT_OWNED' }, 'an entry dated after until');
  // The delegation lapses with the grantor's prefix.
  apply({ type: 'participant.prefixes.set', signer: 'operator', participant: 'brand', prefixes: ['0614142'] }, 5);
  t.throws(() => requireCodeOwned(v, lot, 'cm', TIME, 'x'), { code: 'TRACE_CODE_NOT_OWNED' }, 'the grantor no longer holds the prefix');
  t.strictSame(v.prefixesOf('brand'), ['0614142'], 'prefixes replaced');
  t.strictSame(v.overlappingPrefixes('0614141000017'), [], 'the old prefix is free again');
});

t.test('prefix registry rules', async (t) => {
  const v = replay([genesis, register('brand', ['0614141', '952012']), register('cm', ['0614142'])]);
  t.strictSame(v.overlappingPrefixes('06141410'), [{ prefix: '0614141', participant: 'brand', seq: 1 }], 'a longer prefix overlaps its holder');
  t.strictSame(v.overlappingPrefixes('061414').map((a) => a.prefix), ['0614141', '0614142'], 'a shorter one overlaps every prefix it begins');
  const refusals: Array<[string, Array<Record<string, unknown> & { type: string; signer: string }>, string]> = [
    ['overlapping prefixes in one registration', [register('x', ['1234', '12345'])], 'TRACE_PREFIX_CONFLICT'],
    ['a prefix inside another participant\'s', [register('x', ['06141415'])], 'TRACE_PREFIX_CONFLICT'],
    ['a prefix around another participant\'s', [register('x', ['06141'])], 'TRACE_PREFIX_CONFLICT'],
    ['prefixes set by a participant', [{ type: 'participant.prefixes.set', signer: 'cm', participant: 'cm', prefixes: ['7777'] }], 'LEDGER_PERMISSION_DENIED'],
    ['prefixes set for nobody', [{ type: 'participant.prefixes.set', signer: 'operator', participant: 'nobody', prefixes: ['7777'] }], 'LEDGER_PARTICIPANT_NOT_FOUND'],
    ['prefixes set for the ledger', [{ type: 'participant.prefixes.set', signer: 'operator', participant: 'ledger', prefixes: ['7777'] }], 'LEDGER_PARTICIPANT_NOT_FOUND'],
    ['a delegation of a foreign prefix', [{ type: 'prefix.delegate', signer: 'cm', prefix: '0614141', to: 'cm' }], 'TRACE_CODE_NOT_OWNED'],
    ['a delegation to nobody', [{ type: 'prefix.delegate', signer: 'brand', prefix: '0614141', to: 'nobody' }], 'LEDGER_PARTICIPANT_NOT_FOUND'],
    ['a delegation to itself', [{ type: 'prefix.delegate', signer: 'brand', prefix: '0614141', to: 'brand' }], 'LEDGER_ENTRY_INVALID'],
    ['revoking what was never delegated', [{ type: 'prefix.delegate.revoke', signer: 'brand', prefix: '0614141', to: 'cm' }], 'TRACE_DELEGATION_UNKNOWN'],
  ];
  for (const [what, extra, code] of refusals) {
    t.throws(() => replay([genesis, register('brand', ['0614141', '952012']), register('cm', ['0614142']), ...extra]), { code }, what);
  }
  // Setting a participant's prefixes to ones overlapping its own earlier list is fine (they are replaced).
  t.doesNotThrow(() => replay([genesis, register('brand', ['0614141']), { type: 'participant.prefixes.set', signer: 'operator', participant: 'brand', prefixes: ['06141410', '06141411'] }]));
});

t.test('memoryPrefixes: revocation ends only the named delegation', async (t) => {
  const m = memoryPrefixes();
  m.apply({ kind: 'delegation.insert', delegation: { prefix: '0614141', grantor: 'brand', to: 'cm', seq: 3, until: null, revokedSeq: null } });
  m.apply({ kind: 'delegation.insert', delegation: { prefix: '06141420', grantor: 'b2', to: 'cm', seq: 4, until: null, revokedSeq: null } });
  m.apply({ kind: 'delegation.revoke', prefix: '0614141', to: 'cm', seq: 5 });
  t.strictSame(m.view.delegationsTo('cm').map((d) => d.prefix), ['06141420']);
});
