/**
 * Who may add and revoke keys (src/domain/key-rules.ts through registryEffects), on the in-memory
 * registry every verifier replays, and which seqs a trace answer cites (key-provenance.ts).
 */
import t from 'tap';
import { toBase64Url } from '../../src/core/bytes.js';
import { keyIdOf } from '../../src/core/keys.js';
import { citedSeqs } from '../../src/domain/key-provenance.js';
import { memoryRegistry, registryEffects } from '../../src/domain/registry.js';
import { Payload } from '../../src/domain/schemas.js';
import { party, type Party } from '../helpers.js';

const ledgerKey = party('ledger');
const operator = party('operator');
const acme = party('acme');
const beta = party('beta');

function world() {
  const reg = memoryRegistry();
  let seq = 0;
  const payload = (signer: string, fields: Record<string, unknown>): Payload =>
    Payload.parse({ id: `e${seq}`, signer, time: '2026-01-01T00:00:00Z', ...fields });
  const submit = (signer: string, fields: Record<string, unknown>) => {
    const effects = registryEffects(reg.view, payload(signer, fields), seq);
    reg.apply(effects);
    seq++;
    return effects;
  };
  reg.apply([
    { kind: 'participant.insert', participant: { id: 'ledger', name: 'log', roles: ['ledger'], gln: null, registeredSeq: 0 } },
    { kind: 'key.insert', key: { kid: keyIdOf(ledgerKey.publicKey), participant: 'ledger', publicKey: ledgerKey.publicKey, addedSeq: 0, revokedSeq: null, addedBy: 'ledger', operatorAdded: false } },
    { kind: 'participant.insert', participant: { id: 'operator', name: 'Op', roles: ['operator'], gln: null, registeredSeq: 0 } },
    { kind: 'key.insert', key: { kid: keyIdOf(operator.publicKey), participant: 'operator', publicKey: operator.publicKey, addedSeq: 0, revokedSeq: null, addedBy: 'ledger', operatorAdded: false } },
  ]);
  seq = 1;
  for (const p of [acme, beta]) {
    submit('operator', { type: 'participant.register', participant: p.id, name: p.id, roles: ['supplier'], publicKey: toBase64Url(p.publicKey) });
  }
  const add = (signer: string, participant: string, key: Party = party('k')) => submit(signer, { type: 'participant.key.add', participant, publicKey: toBase64Url(key.publicKey) });
  const revoke = (signer: string, participant: string, kid: string) => submit(signer, { type: 'participant.key.revoke', participant, kid });
  return { reg, add, revoke };
}

t.test('adding a key', async (t) => {
  const w = world();
  t.match(w.add('acme', 'acme'), [{ kind: 'key.insert', key: { participant: 'acme', addedBy: 'acme', operatorAdded: false } }], 'by the participant itself');
  t.throws(() => w.add('operator', 'acme'), { code: 'LEDGER_PERMISSION_DENIED' }, 'by the operator while acme holds valid keys');
  t.throws(() => w.add('beta', 'acme'), { code: 'LEDGER_PERMISSION_DENIED' }, 'by another participant');
  t.throws(() => w.add('operator', 'nobody'), { code: 'LEDGER_PARTICIPANT_NOT_FOUND' });
  t.throws(() => w.add('operator', 'ledger'), { code: 'LEDGER_PERMISSION_DENIED' }, 'never to the ledger');
  t.throws(() => w.add('ledger', 'ledger'), { code: 'LEDGER_PERMISSION_DENIED' }, 'not even by the ledger');
  // Revoke one of acme's two keys: one valid key is enough to refuse the operator.
  const [first, second] = w.reg.view.keysOf('acme');
  w.revoke('operator', 'acme', first!.kid);
  t.throws(() => w.add('operator', 'acme'), { code: 'LEDGER_PERMISSION_DENIED' });
  w.revoke('acme', 'acme', second!.kid);
  const recovery = party('acme');
  t.match(w.add('operator', 'acme', recovery), [{ kind: 'key.insert', key: { kid: keyIdOf(recovery.publicKey), addedBy: 'operator', operatorAdded: true } }], 'a recovery key');
  t.throws(() => w.add('operator', 'acme'), { code: 'LEDGER_PERMISSION_DENIED' }, 'one recovery key, then acme adds its own');
  t.match(w.add('acme', 'acme'), [{ kind: 'key.insert', key: { addedBy: 'acme', operatorAdded: false } }]);
});

t.test('revoking a key', async (t) => {
  const w = world();
  const kid = keyIdOf(acme.publicKey);
  t.throws(() => w.revoke('beta', 'acme', kid), { code: 'LEDGER_PERMISSION_DENIED' }, 'not by another participant');
  t.throws(() => w.revoke('operator', 'beta', kid), { code: 'LEDGER_KEY_UNKNOWN' }, 'a key of another participant');
  t.throws(() => w.revoke('operator', 'ledger', keyIdOf(ledgerKey.publicKey)), { code: 'LEDGER_PERMISSION_DENIED' }, 'never the ledger\'s');
  t.match(w.revoke('operator', 'acme', kid), [{ kind: 'key.revoke', kid }], 'by the operator');
  t.throws(() => w.revoke('operator', 'acme', kid), { code: 'LEDGER_KEY_REVOKED' }, 'once');
});

t.test('the seqs a trace answer cites', async (t) => {
  const answer = {
    code: 'x', ancestors: 3, object: { createdSeq: 1, recalledSeq: null, quantity: { value: 7 } },
    flags: [{ kind: 'recall', seq: 9, depth: 0 }],
    nodes: [{ inputs: [{ seq: 2 }, { seqs: [3, 4] }], process: { seq: 5, allocationShare: 1 } }],
    footprint: { seqs: [6], kgCO2ePerUnit: 8 },
    shipments: [{ seq: 10, receivedSeq: 11, timeline: [{ seq: 12 }], retractedBy: 13 }],
  };
  t.same([...citedSeqs(answer)].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13], 'seq fields only: no quantity, count or figure');
});
