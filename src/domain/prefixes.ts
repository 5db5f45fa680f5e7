/**
 * GS1 Company Prefixes: who may commission which GS1 keys (docs/format.md "Company prefixes").
 *
 * A GS1 key (GTIN, SSCC, GLN) is allotted by the company whose GS1 Company Prefix it carries
 * (GS1 General Specifications §1.4.3: a GCP is 4 to 12 digits, and GS1 allocates them so that no
 * prefix begins another). On the ledger the operator states each participant's prefixes, in its
 * `participant.register` or later in a `participant.prefixes.set`; a participant cannot grant
 * itself one. An owner lets another participant (a contract manufacturer) commission under its
 * prefix with a `prefix.delegate`, withdrawn by `prefix.delegate.revoke`.
 *
 * Participants registered before prefixes existed (their registration has no `prefixes` member
 * and no `participant.prefixes.set` followed) keep what the ledger allowed them then: they may
 * commission GS1 keys under prefixes that no participant holds, so that logs written before this
 * rule still replay. A prefix held by anyone is protected from them like from everybody else.
 *
 * Pure rules over a read view, like src/domain/registry.ts, whose effects these are part of.
 */
import { parseCode, type Gs1Code } from '../core/codes.js';
import { LedgerError } from '../core/errors.js';
import type { Payload } from './schemas.js';

export interface PrefixAssignment {
  readonly prefix: string;
  readonly participant: string;
  /** Seq of the entry that assigned it. */
  readonly seq: number;
}

export interface Delegation {
  /** The prefix (or a longer range within it) the delegate may commission under. */
  readonly prefix: string;
  readonly grantor: string;
  readonly to: string;
  readonly seq: number;
  /** RFC 3339; entries whose `time` is later are not covered. */
  readonly until: string | null;
  readonly revokedSeq: number | null;
}

export interface PrefixView {
  /** Assignments whose prefix begins `digits` or begins with `digits`. */
  overlappingPrefixes(digits: string): readonly PrefixAssignment[];
  /** The participant's prefixes; undefined when none were ever stated for it (see the module comment). */
  prefixesOf(participant: string): readonly string[] | undefined;
  /** Delegations to `to` that were not revoked. */
  delegationsTo(to: string): readonly Delegation[];
}

export type PrefixEffect =
  | { readonly kind: 'prefixes.set'; readonly participant: string; readonly prefixes: readonly string[]; readonly seq: number }
  | { readonly kind: 'delegation.insert'; readonly delegation: Delegation }
  | { readonly kind: 'delegation.revoke'; readonly prefix: string; readonly to: string; readonly seq: number };

/** The payload types this module judges (besides the prefixes of `participant.register`). */
export const PREFIX_TYPES: ReadonlySet<string> = new Set(['participant.prefixes.set', 'prefix.delegate', 'prefix.delegate.revoke']);

/**
 * The digits of a GS1 key that begin with its company prefix: a GTIN-14 without its indicator
 * digit, an SSCC without its extension digit, a GLN as it is (GenSpecs, the GTIN, SSCC and GLN
 * formats). A GTIN-8, -12 or -13 is compared as its zero-padded GTIN-14, so a GTIN-13 is matched as
 * written and a U.P.C. company prefix is written with its leading 0, as GS1 writes it as a GCP.
 */
export function prefixDigits(code: Gs1Code): string {
  return code.key === '414' ? code.value : code.value.slice(1);
}

const fail = (code: ConstructorParameters<typeof LedgerError>[0], message: string, details?: Record<string, unknown>): never => {
  throw new LedgerError(code, message, details === undefined ? undefined : { details });
};

function isOperator(view: PrefixRulesView, id: string): boolean {
  return view.participant(id)?.roles.includes('operator') ?? false;
}

/** What the prefix rules read of the registry besides prefixes. */
export interface PrefixRulesView extends PrefixView {
  participant(id: string): { readonly roles: readonly string[] } | undefined;
}

/**
 * Prefixes about to be given to `participant` must be prefix-free among themselves and against
 * every other participant's: two holders of overlapping prefixes could both commission one key.
 * @throws LedgerError TRACE_PREFIX_CONFLICT
 */
function requireFree(view: PrefixView, participant: string, prefixes: readonly string[]): void {
  prefixes.forEach((p, i) => {
    const inList = prefixes.find((q, j) => j !== i && (q.startsWith(p) || p.startsWith(q)));
    if (inList !== undefined) fail('TRACE_PREFIX_CONFLICT', `prefixes: ${p} and ${inList} overlap (GS1 Company Prefixes never begin one another)`, { prefix: p });
    const other = view.overlappingPrefixes(p).find((a) => a.participant !== participant);
    if (other !== undefined) {
      fail('TRACE_PREFIX_CONFLICT', `prefixes: ${p} overlaps ${other.prefix} of "${other.participant}" (assigned at seq ${other.seq})`, { prefix: p, participant: other.participant, seq: other.seq });
    }
  });
}

/**
 * The prefix effects of a registration: none when it states no prefixes (an old-style
 * registration), else its prefixes, checked.
 * @throws LedgerError TRACE_PREFIX_CONFLICT
 */
export function registrationPrefixEffects(view: PrefixView, payload: Extract<Payload, { type: 'participant.register' }>, seq: number): PrefixEffect[] {
  if (payload.prefixes === undefined) return [];
  requireFree(view, payload.participant, payload.prefixes);
  return [{ kind: 'prefixes.set', participant: payload.participant, prefixes: payload.prefixes, seq }];
}

/**
 * Rules and effects of participant.prefixes.set, prefix.delegate and prefix.delegate.revoke; []
 * for other types.
 * @throws LedgerError with the violated rule's code
 */
export function prefixEffects(view: PrefixRulesView, payload: Payload, seq: number): PrefixEffect[] {
  switch (payload.type) {
    case 'participant.prefixes.set': {
      if (!isOperator(view, payload.signer)) fail('LEDGER_PERMISSION_DENIED', 'participant.prefixes.set must be signed by an operator (a participant does not grant itself a company prefix)');
      if (view.participant(payload.participant) === undefined || view.participant(payload.participant)?.roles.includes('ledger')) {
        fail('LEDGER_PARTICIPANT_NOT_FOUND', `participant "${payload.participant}" is not registered`);
      }
      requireFree(view, payload.participant, payload.prefixes);
      return [{ kind: 'prefixes.set', participant: payload.participant, prefixes: payload.prefixes, seq }];
    }
    case 'prefix.delegate': {
      const own = view.prefixesOf(payload.signer) ?? [];
      if (!own.some((p) => payload.prefix.startsWith(p))) {
        fail('TRACE_CODE_NOT_OWNED', `prefix: ${payload.prefix} is not within a company prefix of "${payload.signer}" (${own.join(', ') || 'none'})`, { prefix: payload.prefix });
      }
      if (view.participant(payload.to) === undefined) fail('LEDGER_PARTICIPANT_NOT_FOUND', `to: "${payload.to}" is not a registered participant`);
      if (payload.to === payload.signer) fail('LEDGER_ENTRY_INVALID', 'to: a participant does not delegate to itself');
      return [{ kind: 'delegation.insert', delegation: { prefix: payload.prefix, grantor: payload.signer, to: payload.to, seq, until: payload.until ?? null, revokedSeq: null } }];
    }
    case 'prefix.delegate.revoke': {
      const standing = view.delegationsTo(payload.to).filter((d) => d.prefix === payload.prefix);
      if (standing.length === 0) fail('TRACE_DELEGATION_UNKNOWN', `no standing delegation of ${payload.prefix} to "${payload.to}"`, { prefix: payload.prefix });
      const owns = (view.prefixesOf(payload.signer) ?? []).some((p) => payload.prefix.startsWith(p));
      if (!owns && !isOperator(view, payload.signer) && !standing.some((d) => d.grantor === payload.signer)) {
        fail('LEDGER_PERMISSION_DENIED', `prefix.delegate.revoke of ${payload.prefix} is signed by the prefix's owner or an operator, not "${payload.signer}"`);
      }
      return [{ kind: 'delegation.revoke', prefix: payload.prefix, to: payload.to, seq }];
    }
    default:
      return [];
  }
}

/**
 * `signer` may commission the code (canonical) in an entry dated `time`: a urn:trace code is not a
 * GS1 key and is left to its namespace rule; a GS1 key's company prefix must be one of the
 * signer's, or delegated to it by the prefix's holder (until `time`), or, for a participant
 * registered before prefixes existed, held by nobody.
 * @throws LedgerError TRACE_CODE_NOT_OWNED
 */
export function requireCodeOwned(view: PrefixView, code: string, signer: string, time: string, where: string): void {
  const parsed = parseCode(code);
  if (parsed.kind !== 'gs1') return;
  const digits = prefixDigits(parsed);
  const owner = view.overlappingPrefixes(digits)[0];
  if (owner?.participant === signer) return;
  if (owner !== undefined) {
    const delegated = view.delegationsTo(signer).some(
      (d) => d.grantor === owner.participant && digits.startsWith(d.prefix) && (d.until === null || Date.parse(time) <= Date.parse(d.until)),
    );
    if (delegated) return;
    fail('TRACE_CODE_NOT_OWNED', `${where}: ${code} is under the company prefix ${owner.prefix} of "${owner.participant}"; "${signer}" commissions it only with a prefix.delegate from "${owner.participant}"`, {
      code,
      prefix: owner.prefix,
      owner: owner.participant,
    });
  }
  const own = view.prefixesOf(signer);
  if (own === undefined) return;
  fail('TRACE_CODE_NOT_OWNED', `${where}: ${code} is not under a company prefix of "${signer}" (${own.join(', ') || 'none'})`, { code });
}

/**
 * The codes an entry brings into existence, with where it names them: commission objects,
 * transform outputs, and an aggregate's parent (created by the first aggregate that names it).
 */
export function createdCodes(payload: Payload): Array<{ code: string; where: string }> {
  switch (payload.type) {
    case 'commission':
      return payload.objects.map((o, i) => ({ code: o.code, where: `objects[${i}]` }));
    case 'transform':
      return payload.outputs.map((o, i) => ({ code: o.code, where: `outputs[${i}]` }));
    case 'aggregate':
      return [{ code: payload.parent, where: 'parent' }];
    default:
      return [];
  }
}

/** The prefix state in memory, for verifiers without a database and for tests. */
export function memoryPrefixes(): { view: PrefixView; apply(effect: PrefixEffect): void } {
  const owners = new Map<string, PrefixAssignment>();
  const byParticipant = new Map<string, readonly string[]>();
  const delegations = new Map<string, Delegation[]>();
  return {
    view: {
      overlappingPrefixes(digits) {
        // Prefixes that begin the digits: one lookup per possible length (GCPs have 4-12 digits).
        const found: PrefixAssignment[] = [];
        for (let n = 4; n <= Math.min(12, digits.length); n++) {
          const a = owners.get(digits.slice(0, n));
          if (a !== undefined) found.push(a);
        }
        // Longer prefixes beginning with the digits: only a prefix being assigned is that short.
        if (digits.length < 12) for (const a of owners.values()) if (a.prefix.length > digits.length && a.prefix.startsWith(digits)) found.push(a);
        return found.sort((x, y) => (x.prefix < y.prefix ? -1 : 1));
      },
      prefixesOf: (participant) => byParticipant.get(participant),
      delegationsTo: (to) => (delegations.get(to) ?? []).filter((d) => d.revokedSeq === null),
    },
    apply(effect) {
      if (effect.kind === 'prefixes.set') {
        for (const p of byParticipant.get(effect.participant) ?? []) owners.delete(p);
        for (const prefix of effect.prefixes) owners.set(prefix, { prefix, participant: effect.participant, seq: effect.seq });
        byParticipant.set(effect.participant, [...effect.prefixes]);
      } else if (effect.kind === 'delegation.insert') {
        const to = effect.delegation.to;
        delegations.set(to, [...(delegations.get(to) ?? []), effect.delegation]);
      } else {
        const list = delegations.get(effect.to) ?? [];
        delegations.set(effect.to, list.map((d) => (d.prefix === effect.prefix && d.revokedSeq === null ? { ...d, revokedSeq: effect.seq } : d)));
      }
    },
  };
}
