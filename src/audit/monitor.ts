/**
 * `trace-ledger monitor`: what an auditor or a supplier runs from cron to hold the operator to the
 * log it has shown. Each run fetches the latest checkpoint, verifies its signature with the
 * ledger key, and proves it consistent (RFC 9162 §2.1.4) with the checkpoint the previous run
 * kept in the state file; only then does it replace the state (atomically: temporary file, fsync,
 * rename). A log that shrank, forked (another root at a size already seen), or cannot prove it
 * only grew is an alert: exit 3, `ALERT:` on stderr, state left as it was, and the two signed
 * checkpoints saved beside the state file: together they prove the misbehaviour to anyone.
 *
 * Trust: with `--key` the ledger key is pinned. Without it, the first run takes the key the
 * service serves and keeps it in the state file (trust on first use, and it says so); later runs
 * use the kept key, so a key swapped later is caught as a bad signature.
 *
 * What one monitor cannot see: a log that shows different histories to different people (a
 * split view). Monitors catch it by comparing what they saw: the state files of an auditor and a
 * supplier must agree at equal sizes (the line each run prints has size and root for that).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { fromBase64, toBase64 } from '../core/bytes.js';
import { verifyCheckpoint } from '../core/checkpoint.js';
import type { Ed25519 } from '../core/ed25519.js';
import { verifyConsistency } from '../core/merkle.js';
import { parseVerifierKey } from '../core/note.js';
import { nodeEd25519 } from '../platform/node-crypto.js';
import { describeFetchFailure } from '../platform/fetch-failure.js';

export const MONITOR_STATE_FORMAT = 'trace-ledger-monitor/1';

/** Exit status of a run: 0 consistent, 1 could not check (network, files), 3 integrity alert. */
export const MONITOR_EXIT = { ok: 0, error: 1, alert: 3 } as const;

export interface MonitorState {
  readonly format: typeof MONITOR_STATE_FORMAT;
  /** The service last checked (informational: a mirror serving the same log is fine). */
  readonly url: string;
  readonly ledgerKey: string;
  /** Whether the key was given with --key (else: trusted on first use). */
  readonly keyPinned: boolean;
  readonly origin: string;
  readonly size: number;
  /** Base64 Merkle root of the checkpoint. */
  readonly root: string;
  /** The signed note itself: evidence if the ledger later contradicts it. */
  readonly note: string;
  /** When this checkpoint was first seen by this monitor. */
  readonly seenAt: string;
  /** When the last successful check ran. */
  readonly checkedAt: string;
}

export type MonitorOutcome =
  | { readonly status: 'ok'; readonly exitCode: 0; readonly line: string; readonly warnings: string[]; readonly state: MonitorState }
  | { readonly status: 'alert'; readonly exitCode: 3; readonly message: string; readonly warnings: string[]; readonly evidencePath?: string }
  | { readonly status: 'error'; readonly exitCode: 1; readonly message: string; readonly warnings: string[] };

export interface MonitorOptions {
  /** Base URL of the service, e.g. https://trace.example.com. */
  readonly url: string;
  readonly statePath: string;
  /** Pinned verifier key (`origin+keyid+base64`). */
  readonly key?: string;
  /** Injectable for tests (default: global fetch with a timeout). */
  readonly fetch?: (url: string) => Promise<Response>;
  readonly now?: () => Date;
  readonly ed?: Ed25519;
  /** Per request. Default 30 s. */
  readonly timeoutMs?: number;
}

class Stop extends Error {
  constructor(
    readonly status: 'alert' | 'error',
    message: string,
    readonly evidence?: string,
  ) {
    super(message);
  }
}

/** Parse a state file defensively: it is ours, but anything on disk may be damaged. */
export function parseMonitorState(text: string): MonitorState {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error('not JSON');
  }
  const str = (k: string) => {
    if (typeof v[k] !== 'string') throw new Error(`"${k}" missing`);
    return v[k] as string;
  };
  if (v === null || typeof v !== 'object' || v['format'] !== MONITOR_STATE_FORMAT) throw new Error(`not a ${MONITOR_STATE_FORMAT} state file`);
  const size = v['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new Error('"size" is not a tree size');
  const state: MonitorState = {
    format: MONITOR_STATE_FORMAT,
    url: str('url'),
    ledgerKey: str('ledgerKey'),
    keyPinned: v['keyPinned'] === true,
    origin: str('origin'),
    size,
    root: str('root'),
    note: str('note'),
    seenAt: str('seenAt'),
    checkedAt: str('checkedAt'),
  };
  if (fromBase64(state.root).length !== 32) throw new Error('"root" is not a 32-byte hash');
  return state;
}

/**
 * One monitoring run. Never throws: the outcome says what to print and the exit status.
 */
export async function runMonitor(o: MonitorOptions): Promise<MonitorOutcome> {
  const warnings: string[] = [];
  const url = o.url.replace(/\/+$/, '');
  const now = o.now ?? (() => new Date());
  const ed = o.ed ?? nodeEd25519;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const get = async (path: string, what: string): Promise<Response> => {
    let res: Response;
    try {
      res = await (o.fetch ?? ((u: string) => fetch(u, { signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'trace-ledger-monitor' } })))(`${url}${path}`);
    } catch (e) {
      const { reason, hint } = describeFetchFailure(e);
      throw new Stop('error', `cannot fetch ${what} from ${url}: ${reason}: ${hint}`);
    }
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).slice(0, 300).replace(/\s+/g, ' ');
      throw new Stop('error', `cannot fetch ${what} from ${url}: HTTP ${res.status} ${body}`);
    }
    return res;
  };

  try {
    let previous: MonitorState | undefined;
    let text: string | undefined;
    try {
      text = readFileSync(o.statePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Stop('error', `cannot read the state file ${o.statePath}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    if (text !== undefined) {
      try {
        previous = parseMonitorState(text);
      } catch (e) {
        throw new Stop('error', `the state file ${o.statePath} is damaged (${(e as Error).message}): restore it from a backup; starting afresh would forget what this monitor saw`);
      }
    }

    // The ledger key: pinned, kept from an earlier run, or (first run only) the one served.
    let key: string;
    let pinned: boolean;
    if (o.key !== undefined) {
      try {
        parseVerifierKey(o.key);
      } catch (e) {
        throw new Stop('error', `--key: ${(e as Error).message}`);
      }
      if (previous !== undefined && previous.ledgerKey !== o.key) {
        throw new Stop('error', `the state file ${o.statePath} follows ledger key ${previous.ledgerKey}, not --key ${o.key}: use one state file per ledger`);
      }
      key = o.key;
      pinned = true;
    } else if (previous !== undefined) {
      key = previous.ledgerKey;
      pinned = previous.keyPinned;
    } else {
      key = (await (await get('/v1/checkpoint/key', 'the ledger key')).text()).trim();
      try {
        parseVerifierKey(key);
      } catch (e) {
        throw new Stop('error', `the service serves a malformed ledger key: ${(e as Error).message}`);
      }
      pinned = false;
      warnings.push(
        `trusting ledger key ${key} on first use: nothing yet shows it is the operator's. Compare it with the key the operator publishes, and pass it with --key to pin it.`,
      );
    }
    if (previous !== undefined && previous.url !== url) warnings.push(`the state file was last updated from ${previous.url}; now checking ${url}`);

    const note = await (await get('/v1/checkpoint', 'the latest checkpoint')).text();
    let cp;
    try {
      cp = verifyCheckpoint(note, key, ed);
    } catch (e) {
      throw new Stop('alert', `the checkpoint served by ${url} does not verify with ledger key ${key}${pinned ? ' (pinned)' : ''}: ${(e as Error).message}`);
    }
    const root = toBase64(cp.root);
    const stamp = now().toISOString();

    let line: string;
    let seenAt = stamp;
    if (previous === undefined) {
      line = `ok: ${cp.origin} size ${cp.size} root ${root}: first checkpoint recorded (${pinned ? 'pinned key' : 'key trusted on first use'})`;
    } else {
      const prevRoot = fromBase64(previous.root);
      const evidence = () => `previous checkpoint (seen ${previous.seenAt}):\n${previous.note}\nlatest checkpoint (fetched ${stamp} from ${url}):\n${note}`;
      if (cp.size < previous.size) {
        throw new Stop('alert', `rollback: ${url} serves a signed checkpoint of size ${cp.size}, smaller than size ${previous.size} seen ${previous.seenAt}: the log lost records`, evidence());
      }
      if (cp.size === previous.size) {
        if (root !== previous.root) {
          throw new Stop('alert', `fork: two signed checkpoints of size ${cp.size} with different roots (${previous.root} seen ${previous.seenAt}, now ${root}): the log was rewritten`, evidence());
        }
        seenAt = previous.seenAt;
        line = `ok: ${cp.origin} size ${cp.size} root ${root}: unchanged since ${previous.seenAt}`;
      } else {
        const res = await get(`/v1/proofs/consistency?from=${previous.size}&to=${cp.size}`, 'the consistency proof');
        let hashes: Uint8Array[];
        try {
          const body = (await res.json()) as { hashes?: unknown };
          if (!Array.isArray(body.hashes) || body.hashes.length > 128 || !body.hashes.every((h) => typeof h === 'string')) throw new Error('no list of hashes');
          hashes = (body.hashes as string[]).map((h) => fromBase64(h));
        } catch (e) {
          throw new Stop('alert', `${url} answered the consistency proof from size ${previous.size} to ${cp.size} with something that is not one: ${(e as Error).message}`, evidence());
        }
        try {
          // Our root and the signed root, never the roots the service puts next to the proof.
          verifyConsistency(previous.size, cp.size, hashes, prevRoot, cp.root);
        } catch (e) {
          throw new Stop('alert', `inconsistent: the log at size ${cp.size} does not extend the one seen at size ${previous.size} (${previous.seenAt}): ${(e as Error).message}`, evidence());
        }
        line = `ok: ${cp.origin} size ${cp.size} root ${root}: consistent with size ${previous.size} seen ${previous.seenAt} (+${cp.size - previous.size} records)`;
      }
    }

    const state: MonitorState = {
      format: MONITOR_STATE_FORMAT, url, ledgerKey: key, keyPinned: pinned, origin: cp.origin, size: cp.size, root, note, seenAt, checkedAt: stamp,
    };
    try {
      writeFileAtomic(o.statePath, `${JSON.stringify(state, null, 2)}\n`);
    } catch (e) {
      throw new Stop('error', `checked, but cannot write the state file ${o.statePath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return { status: 'ok', exitCode: 0, line, warnings, state };
  } catch (e) {
    if (!(e instanceof Stop)) return { status: 'error', exitCode: 1, message: (e as Error).message, warnings };
    if (e.status === 'error') return { status: 'error', exitCode: 1, message: e.message, warnings };
    let evidencePath: string | undefined;
    if (e.evidence !== undefined) {
      evidencePath = `${o.statePath}.alert-${now().toISOString().replace(/[:.]/g, '-')}.txt`;
      try {
        writeFileSync(evidencePath, `${e.message}\n\n${e.evidence}`);
      } catch {
        evidencePath = undefined;
      }
    }
    return {
      status: 'alert',
      exitCode: 3,
      message: evidencePath === undefined ? e.message : `${e.message} (both signed checkpoints saved in ${evidencePath})`,
      warnings,
      ...(evidencePath === undefined ? {} : { evidencePath }),
    };
  }
}
