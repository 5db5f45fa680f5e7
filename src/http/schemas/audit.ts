/** Response schemas of the dispute reports (src/audit/reports.ts) and audit bundles (src/audit/bundle.ts). */
import { anyObject, arr, bool, code, evidenceRecord, hex64, ledgerRecord, nullable, obj, party, quantity, seq, str, time, uint } from './common.js';

const statement = {
  allOf: [
    evidenceRecord,
    obj(
      {
        role: { type: 'string', examples: ['dispatch', 'receipt', 'origin', 'inspection', 'recall'] },
        type: str,
        signer: party,
        time,
        recordedAt: time,
        says: { type: 'string', description: 'The statement in words; the signed payload is what counts' },
        about: arr(code),
        operatorAddedKey: { type: 'boolean', description: 'Signed with a recovery key the ledger operator added, not one the signer added itself' },
      },
      ['about'],
    ),
  ],
};

const reportBase = {
  format: { type: 'string', const: 'trace-ledger-report/1' },
  title: str,
  generatedAt: time,
  origin: str,
  ledgerKey: str,
  checkpoint: obj({ note: str, size: uint, root: str }),
  statements: arr(statement),
  registry: { ...arr({ allOf: [evidenceRecord, obj({ says: str })] }), description: 'Records registering the signers and their keys' },
};

const handoffItem = obj({ code, product: str, shipped: quantity, received: nullable(quantity), missing: nullable(quantity) });

export const handoffReport = obj({
  ...reportBase,
  kind: { type: 'string', const: 'handoff' },
  shipment: obj({
    seq,
    leafHash: hex64,
    status: str,
    sender: party,
    receiver: party,
    carrier: nullable(party),
    reference: nullable(str),
    dispatchedAt: time,
    expectedDelivery: nullable(str),
    receivedSeq: nullable(seq),
    receivedAt: nullable(time),
    condition: nullable(str),
    note: nullable(str),
    retractedSeq: nullable(seq),
  }),
  items: arr(handoffItem),
  discrepancy: nullable(obj({ summary: str, items: arr(handoffItem) })),
});

export const originReport = obj({
  ...reportBase,
  kind: { type: 'string', const: 'origin' },
  code,
  product: str,
  flags: arr(anyObject),
  paths: { ...arr(arr(code)), description: 'Every path from the product down to a source lot (product first)' },
  pathsTruncated: bool,
  lots: arr(
    obj({
      code,
      depth: uint,
      level: str,
      product: str,
      producer: party,
      quantity,
      created: obj({ seq, by: str }),
      inputs: arr(obj({ code, quantity, seqs: arr(seq), kind: { type: 'string', enum: ['consumed', 'packed'] } })),
      inspections: arr(obj({ seq, result: str, signer: str, time, standard: str, note: str }, ['standard', 'note'])),
      recalls: arr(obj({ seq, reason: str, time })),
      handoffs: arr(obj({ seq, type: str, signer: str, time })),
    }),
  ),
});

/** The lines of an audit bundle (application/x-ndjson): header, records, end. */
export const bundleHeaderLine = obj(
  {
    format: { type: 'string', const: 'trace-ledger-bundle/1' },
    origin: str,
    ledgerKey: str,
    checkpoint: { type: 'string', description: 'C2SP signed note every record is proved against' },
    scope: {
      oneOf: [
        obj({ kind: { const: 'full' } }),
        obj({ kind: { const: 'range' }, from: uint, to: uint }),
        obj({ kind: { const: 'code' }, code, direction: { enum: ['up', 'down', 'both'] } }),
      ],
    },
    consistency: obj({ from: uint, proof: arr(str) }),
    exportedAt: time,
  },
  ['consistency'],
);

export const bundleRecordLine = obj(
  { record: ledgerRecord, leafHash: hex64, chainHash: hex64, inclusion: { ...arr(str), description: 'Scoped bundles: audit path against the header checkpoint' } },
  ['inclusion'],
);

export const bundleEndLine = obj({
  end: obj({ records: uint, sha256: { ...hex64, description: 'SHA-256 of every byte before this line' } }),
});

/**
 * One NDJSON line, whichever it is. OpenAPI has no way to say "line 1 is this, the last that":
 * the description of the route does, and the schema admits each line shape.
 */
export const bundleLine = { oneOf: [bundleHeaderLine, bundleRecordLine, bundleEndLine] };
