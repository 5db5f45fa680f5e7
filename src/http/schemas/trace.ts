/**
 * Response schemas of the trace queries (src/domain/trace.ts, the object, summary, certificate and
 * recall answers of src/ledger.ts, the resolver's linkset).
 */
import {
  anyObject, arr, bool, code, evidenceRecord, flag, hex64, nullable, num, obj, objectSummary, party, payload, product, quantity, seq, str, time, uint,
} from './common.js';

const unitFigures = {
  kgCO2ePerUnit: { type: 'number', description: 'kg CO2e per unit of the object\'s quantity unit, excluding biogenic' },
  electricityKWhPerUnit: num,
  waterM3PerUnit: num,
  primaryDataShare: { type: 'number', minimum: 0, maximum: 100, description: 'Percent resting on declared data; the rest is data gaps' },
};

/** Cradle-to-gate roll-up per unit, with what it rests on. */
const unitFootprint = obj({ ...unitFigures, dataGaps: { ...arr(code), description: 'Source objects with no declared footprint' }, seqs: arr(seq) });

export const objectState = obj(
  {
    code,
    level: str,
    product,
    producer: { type: 'string', description: 'Participant id' },
    quantity,
    createdSeq: seq,
    createdBy: str,
    recalledSeq: nullable(uint),
    attributes: anyObject,
    certificates: arr(anyObject),
    declaredFootprint: anyObject,
    holders: arr({
      anyOf: [obj({ holder: str, quantity }), obj({ customer: str, deliveredBy: str, quantity })],
    }),
    packedIn: arr(obj({ parent: code, quantity })),
    contents: arr(obj({ child: code, quantity: num })),
    recalled: bool,
  },
  ['attributes', 'certificates', 'declaredFootprint'],
);

const inspection = obj(
  { seq, signer: str, time, result: { type: 'string', examples: ['pass', 'fail'] }, standard: str, measurements: arr(anyObject), certificate: anyObject, note: str },
  ['standard', 'measurements', 'certificate', 'note'],
);
const recall = obj({ seq, signer: str, time, reason: str });

const upstreamNode = obj(
  {
    ...(objectSummary['properties'] as Record<string, Record<string, unknown>>),
    depth: uint,
    inputs: arr({
      anyOf: [
        obj({ code, consumed: quantity, allocated: quantity, seq: nullable(seq) }),
        obj({ code, packed: quantity, seqs: arr(seq) }),
      ],
    }),
    inspections: arr(inspection),
    certificates: arr(obj({ seq }, [], { additionalProperties: true })),
    recalls: arr(recall),
    process: { ...nullable(anyObject), description: 'The transform\'s declared process, its seq and this output\'s allocation share' },
    footprint: obj({ ...unitFigures, declared: bool }),
  },
  ['attributes'],
);

export const upstreamAnswer = obj({
  code,
  object: objectSummary,
  flags: { ...arr(flag), description: 'Failed inspections and recalls anywhere upstream, nearest first' },
  ancestors: uint,
  footprint: unitFootprint,
  nodes: { ...arr(upstreamNode), description: 'The object first (depth 0), then every ancestor' },
});

const shipment = obj(
  {
    seq,
    leafHash: { ...hex64, description: 'Identifies the shipment (receive.shipment, track.shipment)' },
    sender: party,
    receiver: party,
    carrier: nullable(party),
    status: { type: 'string', examples: ['in_transit', 'received', 'retracted', 'delivered'] },
    dispatchedAt: time,
    expectedDelivery: nullable(str),
    receivedSeq: nullable(seq),
    receivedAt: nullable(time),
    leadTimeHours: nullable(num),
    transport: anyObject,
    retractedSeq: nullable(seq),
    items: arr(obj({ code, shipped: quantity, received: nullable(quantity) })),
    timeline: arr(obj({ seq, status: str, time, signer: str, location: anyObject }, ['location'])),
  },
  ['transport'],
);

const holder = obj(
  { holder: nullable(str), customer: nullable(str), deliveredBy: str, name: str, quantity, packedIn: code },
  ['deliveredBy', 'packedIn'],
);

export const downstreamAnswer = obj({
  code,
  object: objectSummary,
  flags: arr(flag),
  derived: arr({ allOf: [objectSummary, obj({ depth: uint })] }),
  edges: arr(obj({ from: code, to: code, kind: { type: 'string', enum: ['transform', 'packed'] }, quantity, seq: nullable(seq) })),
  shipments: arr(shipment),
  discrepancies: arr(
    obj({
      shipmentSeq: seq, receiveSeq: nullable(seq), code, shipped: quantity, received: nullable(quantity), missing: quantity, condition: nullable(str), note: nullable(str),
    }),
  ),
  deliveries: arr(obj({ seq, code, status: str, recipient: str, time, signer: str, quantity })),
  holders: arr({ allOf: [holder, obj({ code })] }),
  impact: obj({
    recalled: bool,
    recalls: arr({ allOf: [recall, obj({ code })] }),
    finishedProducts: arr({ allOf: [objectSummary, obj({ holders: arr(holder), inTransitShipments: arr(seq) })] }),
    customers: arr(str),
  }),
});

export const historyAnswer = obj({
  code,
  object: objectSummary,
  entries: arr(
    obj({
      seq,
      type: str,
      signer: str,
      time,
      recordedAt: time,
      roles: { ...arr(str), description: 'What the entry did to this object (created, consumed, shipped, …)' },
      retractedBy: nullable(seq),
      operatorAddedKey: { type: 'boolean', description: 'Signed with a recovery key the operator added, not one the signer added itself' },
      payload,
    }),
  ),
});

const decimal = { type: 'string', pattern: '^-?\\d+(\\.\\d+)?(e[-+]?\\d+)?$', description: 'PACT decimal string' };

/** PACT Technical Specifications v2 ProductFootprint, with the roll-up under extensions[0].data. */
export const pactFootprint = obj({
  id: { type: 'string', format: 'uuid' },
  specVersion: str,
  version: uint,
  created: time,
  status: { type: 'string', const: 'Active' },
  companyName: str,
  companyIds: arr(str),
  productDescription: str,
  productIds: arr(str),
  productCategoryCpc: str,
  productNameCompany: str,
  comment: str,
  pcf: obj(
    {
      declaredUnit: { type: 'string', examples: ['kilogram', 'liter'] },
      unitaryProductAmount: decimal,
      pCfExcludingBiogenic: decimal,
      fossilGhgEmissions: decimal,
      primaryDataShare: { type: 'number', minimum: 0, maximum: 100 },
      referencePeriodStart: time,
      referencePeriodEnd: time,
    },
    [],
    { additionalProperties: true },
  ),
  extensions: arr(
    obj({
      specVersion: str,
      dataSchema: str,
      data: obj({
        code,
        unit: str,
        kgCO2ePerUnit: unitFigures.kgCO2ePerUnit,
        electricityKWhPerUnit: num,
        waterM3PerUnit: num,
        dataGaps: arr(code),
        seqs: arr(seq),
        ledgerSize: uint,
      }),
    }),
  ),
});

export const evidenceAnswer = obj({
  code,
  ledgerKey: { type: 'string', description: 'The ledger\'s C2SP verifier key' },
  checkpoint: { type: 'string', description: 'C2SP signed note every inclusion path is proved against' },
  treeSize: uint,
  records: arr(evidenceRecord),
});

export const certificatesAnswer = obj({
  code,
  certificates: arr(obj({ code, depth: uint }, [], { additionalProperties: true })),
  inspections: arr({ allOf: [inspection, obj({ code, depth: uint })] }),
});

export const recallStatusAnswer = obj({ code, recalled: bool, failedInspection: bool, flags: arr(flag), asOfSize: uint });

const link = obj({ href: { type: 'string', format: 'uri' }, title: str, type: str, hreflang: arr(str) }, ['hreflang']);

/** The resolver's JSON answer (src/ledger.ts summary()). */
export const resolverSummary = obj(
  {
    code,
    resolvedFrom: { ...code, description: 'The serial asked for, when the answer is about its lot' },
    note: str,
    object: objectSummary,
    status: { type: 'string', enum: ['ok', 'warning', 'recalled'] },
    flags: arr(flag),
    footprint: unitFootprint,
    provenance: arr(obj({ code, depth: uint, level: str, product: str, producer: party, inspections: arr(obj({ result: str, seq })) })),
    journey: arr(obj({ seq, from: party, to: party, status: str, dispatchedAt: time, receivedAt: nullable(time) })),
    deliveries: arr(obj({ seq, status: str, time })),
    verification: obj({ ledgerKey: str, evidence: { type: 'string', description: 'Path of the evidence answer' } }),
    links: { type: 'object', additionalProperties: arr(link), description: 'GS1 link type → links' },
  },
  ['resolvedFrom', 'note', 'links'],
);

/** RFC 9264 linkset with GS1 Web Vocabulary relation types. */
export const linksetAnswer = obj({
  linkset: arr(obj({ anchor: code }, [], { additionalProperties: arr(link) }), { minItems: 1 }),
});
