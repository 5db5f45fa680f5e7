/**
 * The footprint as a PACT Pathfinder v2 ProductFootprint (PACT Technical Specification 2.2, the
 * data model's `ProductFootprint` and `CarbonFootprint`), computed by the roll-up of footprint.ts
 * from signed entries, with our roll-up details as a data model extension.
 */
import { parseCode } from '../../core/codes.js';
import { sha256 } from '../../core/hash.js';
import { LedgerError } from '../../core/errors.js';
import { fromMicro } from '../quantity.js';
import type { ObjectRow } from '../rules.js';
import { groupBy, requireCode, round } from './answer.js';
import { footprintCalculator } from './footprint.js';
import type { TraceReader } from './reader.js';

/** PACT declared units for our units; pieces and metres need the product's net mass. */
const PACT_UNITS: Record<string, [string, number]> = {
  KGM: ['kilogram', 1], TNE: ['kilogram', 1000], GRM: ['kilogram', 0.001], LTR: ['liter', 1], MTQ: ['cubic meter', 1],
  MTK: ['square meter', 1], KWH: ['kilowatt hour', 1],
};

const decimal = (x: number) => String(round(x));

/**
 * PACT's declared unit of `o` and how many of `o`'s units make one: its own unit when PACT has it,
 * else kilograms through the product's net mass.
 * @throws LedgerError TRACE_FOOTPRINT_UNAVAILABLE when the unit has no PACT equivalent and no net mass
 */
function declaredUnitOf(o: ObjectRow): [string, number] {
  const unit = PACT_UNITS[o.unit];
  if (unit !== undefined) return unit;
  const mass = o.spec.product.netMassKg;
  if (mass === undefined) {
    throw new LedgerError('TRACE_FOOTPRINT_UNAVAILABLE', `${o.code} is counted in ${o.unit}, which PACT has no declared unit for; its product needs netMassKg (kg per ${o.unit})`);
  }
  return ['kilogram', mass];
}

/** Deterministic UUID (v4 layout) from a string, so the same footprint keeps its id. */
function uuidFrom(text: string): string {
  const h = sha256(new TextEncoder().encode(text));
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = [...h.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The object's cradle-to-gate footprint as a PACT v2 ProductFootprint (numbers as decimal strings,
 * per the PACT data model), with our roll-up details under `extensions`.
 * `created` is the ledger's clock (ISO 8601); the domain reads no clock itself.
 * @throws LedgerError TRACE_FOOTPRINT_UNAVAILABLE when the unit has no PACT equivalent and no net mass
 */
export function pactFootprint(reader: TraceReader, code: string, asOfSize: number, created: string) {
  const root = requireCode(reader, code);
  // Load the whole ancestry in two queries rather than one object at a time.
  const edges = reader.upstreamEdges(root.code);
  const codes = [...new Set([root.code, ...edges.map((e) => e.from)])];
  const packed = groupBy(edges.filter((e) => e.kind === 'packed'), (e) => e.to);
  const fp = footprintCalculator(reader, new Map(reader.objects(codes).map((o) => [o.code, o])), packed)(root.code);
  const [declaredUnit, amount] = declaredUnitOf(root);
  const perDeclared = (x: number) => x / amount;
  const producer = reader.participant(root.producer);
  const parsed = parseCode(root.code);
  const times = fp.seqs.map((s) => reader.payloadAt(s).time).sort((a, b) => Date.parse(a) - Date.parse(b));
  const gtin = root.spec.product.gtin ?? (parsed.kind === 'gs1' && parsed.key === '01' ? parsed.value : undefined);
  return {
    id: uuidFrom(`${root.code}\n${asOfSize}`),
    specVersion: '2.2.0',
    version: 0,
    created,
    status: 'Active',
    companyName: producer?.name ?? root.producer,
    companyIds: [`urn:trace:${root.producer}`],
    productDescription: `${root.spec.product.name} (${root.level}), ${fromMicro(root.quantity)} ${root.unit}`,
    productIds: [root.code, ...(gtin === undefined ? [] : [`urn:gtin:${gtin}`])],
    productCategoryCpc: String(root.spec.attributes?.['cpc'] ?? '4'),
    productNameCompany: root.spec.product.name,
    comment: 'Cradle-to-gate roll-up computed by trace-ledger from signed ledger entries (see extensions.seqs).',
    pcf: {
      declaredUnit,
      unitaryProductAmount: decimal(amount),
      pCfExcludingBiogenic: decimal(perDeclared(fp.kgCO2ePerUnit)),
      fossilGhgEmissions: decimal(perDeclared(fp.kgCO2ePerUnit)),
      fossilCarbonContent: '0',
      biogenicCarbonContent: '0',
      characterizationFactors: 'AR6',
      ipccCharacterizationFactorsSources: ['AR6'],
      crossSectoralStandardsUsed: ['GHG Protocol Product standard', 'ISO Standard 14067'],
      productOrSectorSpecificRules: [],
      boundaryProcessesDescription: 'Cradle-to-gate: declared footprints of source lots, process electricity (at the grid factor stated in each transform), direct process emissions; allocation by output quantity or stated shares. Transport between participants is not included.',
      referencePeriodStart: times[0] ?? new Date(0).toISOString(),
      referencePeriodEnd: times.at(-1) ?? new Date(0).toISOString(),
      exemptedEmissionsPercent: 0,
      exemptedEmissionsDescription: '',
      packagingEmissionsIncluded: false,
      primaryDataShare: fp.primaryDataShare,
    },
    extensions: [
      {
        specVersion: '2.0.0',
        dataSchema: 'https://trace-ledger.dev/schemas/v1/rollup.json',
        data: {
          code: root.code,
          unit: root.unit,
          kgCO2ePerUnit: fp.kgCO2ePerUnit,
          electricityKWhPerUnit: fp.electricityKWhPerUnit,
          waterM3PerUnit: fp.waterM3PerUnit,
          dataGaps: fp.dataGaps,
          seqs: fp.seqs,
          ledgerSize: asOfSize,
        },
      },
    ],
  };
}
