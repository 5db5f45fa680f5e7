/**
 * The demo cluster: participants from fixtures/demo with their own keys under keys/. Every demo
 * entry is signed by its participant's key and submitted through the public HTTP API of the
 * running service, exactly as a real participant would. Entries have fixed ids and times, so
 * loading the demo again is idempotent (each resubmission gets its original receipt).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toBase64Url } from '../core/bytes.js';
import { signEntry } from '../core/entry.js';
import { nodeEd25519 } from '../platform/node-crypto.js';
import { readPrivateKey, readPublicKey } from './keyfiles.js';
import { operatorKeyPath } from './setup.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface DemoParticipant {
  readonly id: string;
  readonly name: string;
  readonly roles: string[];
  readonly gln: string;
  readonly publicKeyFile: string;
  readonly privateKeyFile: string;
}

export function demoParticipants(): DemoParticipant[] {
  return JSON.parse(readFileSync(`${REPO_ROOT}fixtures/demo/participants.json`, 'utf8')) as DemoParticipant[];
}

const DEMO_TIME = '2026-11-02T08:00:00.000+08:00';

async function post(base: string, body: unknown): Promise<void> {
  const res = await fetch(`${base}/v1/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`demo entry rejected: ${res.status} ${await res.text()}`);
}

export async function seedDemo(base: string, db: string, log: (s: string) => void): Promise<void> {
  const operatorSeed = readPrivateKey(operatorKeyPath(db));
  const participants = demoParticipants();
  const registrations = participants.map((p) =>
    signEntry(
      {
        type: 'participant.register',
        id: `demo-register-${p.id}`,
        signer: 'operator',
        time: DEMO_TIME,
        participant: p.id,
        name: p.name,
        roles: p.roles,
        gln: p.gln,
        publicKey: toBase64Url(readPublicKey(`${REPO_ROOT}${p.publicKeyFile}`)),
      },
      operatorSeed,
      nodeEd25519,
    ),
  );
  await post(base, registrations);
  log(`demo: ${participants.length} participants registered (keys in keys/)`);
}
