/**
 * What participants and the operator do with keys: `keygen` (a key pair), `sign` and `submit`
 * (a payload file, signed here, optionally proved included), and `participant add|prefixes|revoke`
 * (registry entries signed with the operator key).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fromBase64, fromHex, toBase64Url } from '../../core/bytes.js';
import { verifyCheckpoint } from '../../core/checkpoint.js';
import { signEntry, type PayloadBase } from '../../core/entry.js';
import { keyIdOf } from '../../core/keys.js';
import { verifyInclusion } from '../../core/merkle.js';
import { nodeEd25519 } from '../../platform/node-crypto.js';
import { parse, required } from '../args.js';
import { UsageError } from '../cli-error.js';
import { readJsonFile } from '../files.js';
import { readPrivateKey, readPublicKey, writeNewKeyPair } from '../keyfiles.js';
import { ledgerKeyOption } from '../ledger-key-option.js';
import { getOk, postEntries, serviceUrl } from '../service-client.js';

export async function keygenCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { out: { type: 'string' } });
  const out = resolve(required(values, 'out'));
  mkdirSync(dirname(out), { recursive: true });
  const { publicKey, publicPath } = writeNewKeyPair(out);
  console.log(`private key: ${out} (mode 0600, keep it secret)\npublic key:  ${publicPath}\nkid:         ${keyIdOf(publicKey)}\npublicKey:   ${toBase64Url(publicKey)}`);
  return 0;
}

/** Fill in the envelope fields a person should not have to type: signer, a fresh id, the time. */
function completePayload(payload: unknown, signer: string | undefined): PayloadBase {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new Error('the payload file must hold a JSON object');
  const p = { ...(payload as Record<string, unknown>) };
  if (typeof p['type'] !== 'string') throw new Error('the payload needs a "type"');
  p['signer'] ??= signer;
  if (p['signer'] === undefined) throw new UsageError('--signer is required when the payload has no "signer"');
  if (signer !== undefined && p['signer'] !== signer) throw new Error(`payload signer "${String(p['signer'])}" differs from --signer ${signer}`);
  p['id'] ??= randomUUID();
  p['time'] ??= new Date().toISOString();
  return p as PayloadBase;
}

function signFile(values: Record<string, unknown>, file: string | undefined) {
  if (file === undefined) throw new UsageError('give the payload file');
  const seed = readPrivateKey(required(values, 'key'));
  const payload = completePayload(readJsonFile(file, 'payload file'), values['signer'] as string | undefined);
  return signEntry(payload, seed, nodeEd25519);
}

export async function signCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { key: { type: 'string' }, signer: { type: 'string' } }, 1);
  console.log(JSON.stringify(signFile(values, positionals[0]), null, 2));
  return 0;
}

export async function submitCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { key: { type: 'string' }, signer: { type: 'string' }, url: { type: 'string' }, prove: { type: 'boolean', default: false }, 'ledger-key': { type: 'string' } }, 1);
  const url = serviceUrl(values);
  const entry = signFile(values, positionals[0]);
  const ledgerKey = ledgerKeyOption(values['ledger-key'], '--ledger-key');
  const receipt = (await postEntries(url, entry)) as { seq: number; leafHash: string };
  console.log(JSON.stringify(receipt));
  if (values['prove']) console.log(await proveInclusion(url, receipt.seq, receipt.leafHash, ledgerKey));
  return 0;
}

/** Fetch the checkpoint and the inclusion proof for `seq`, verify both, and say what was checked. */
async function proveInclusion(url: string, seq: number, leafHash: string, pinnedKey: string | undefined): Promise<string> {
  const key = pinnedKey ?? (await (await getOk(`${url}/v1/checkpoint/key`)).text()).trim();
  const note = await (await getOk(`${url}/v1/checkpoint?minSize=${seq + 1}`)).text();
  const cp = verifyCheckpoint(note, key, nodeEd25519);
  const proof = (await (await getOk(`${url}/v1/proofs/inclusion?seq=${seq}&size=${cp.size}`)).json()) as {
    leafHash: string;
    hashes: string[];
  };
  if (proof.leafHash !== leafHash) throw new Error(`the service proves leaf ${proof.leafHash}, not the receipt's ${leafHash}`);
  verifyInclusion(fromHex(leafHash), seq, cp.size, proof.hashes.map(fromBase64), cp.root);
  return (
    `verified: seq ${seq} is included in checkpoint ${cp.origin} size ${cp.size}, signed by ${key.split('+')[0]}` +
    (pinnedKey === undefined ? ' (key fetched from the service, not independently pinned: pass --ledger-key)' : ' (pinned key)')
  );
}

/** Sign `fields` as the operator (--key, --signer) with a fresh id and the current time, submit, print the receipt. */
async function submitAsOperator(values: Record<string, unknown>, fields: Record<string, unknown> & { type: string }): Promise<number> {
  const payload = { signer: values['signer'] as string, id: randomUUID(), time: new Date().toISOString(), ...fields };
  const receipt = await postEntries(serviceUrl(values), signEntry(payload, readPrivateKey(values['key'] as string), nodeEd25519));
  console.log(JSON.stringify(receipt));
  return 0;
}

/** `participant add|prefixes|revoke`: registry entries, signed with the operator key. */
export async function participantCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const common = { key: { type: 'string', default: 'data/operator.key.pem' }, signer: { type: 'string', default: 'operator' }, url: { type: 'string' } } as const;
  if (action === 'add') {
    const { values } = parse(rest, { ...common, id: { type: 'string' }, name: { type: 'string' }, roles: { type: 'string' }, gln: { type: 'string' }, 'public-key': { type: 'string' }, prefixes: { type: 'string' } });
    return submitAsOperator(values, {
      type: 'participant.register',
      participant: required(values, 'id'),
      name: required(values, 'name'),
      roles: required(values, 'roles').split(',').map((r) => r.trim()),
      ...(values['gln'] ? { gln: values['gln'] as string } : {}),
      publicKey: toBase64Url(readPublicKey(required(values, 'public-key'))),
      // Always stated: without --prefixes the participant commissions no GS1 keys (src/domain/prefixes.ts).
      prefixes: prefixList(values['prefixes']),
    });
  }
  if (action === 'prefixes') {
    const { values } = parse(rest, { ...common, id: { type: 'string' }, prefixes: { type: 'string' } });
    return submitAsOperator(values, { type: 'participant.prefixes.set', participant: required(values, 'id'), prefixes: prefixList(values['prefixes']) });
  }
  if (action === 'revoke') {
    const { values } = parse(rest, { ...common, id: { type: 'string' }, kid: { type: 'string' }, reason: { type: 'string' } });
    return submitAsOperator(values, {
      type: 'participant.key.revoke',
      participant: required(values, 'id'),
      kid: required(values, 'kid'),
      ...(values['reason'] ? { reason: values['reason'] as string } : {}),
    });
  }
  throw new UsageError('participant add|prefixes|revoke');
}

/** `--prefixes 0614141,952012` (or nothing: none); the ledger validates each. */
const prefixList = (value: unknown): string[] =>
  typeof value === 'string' ? value.split(',').map((p) => p.trim()).filter((p) => p !== '') : [];
