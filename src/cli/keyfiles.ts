/**
 * Key files on disk: PKCS#8 / SPKI PEM (docs/format.md "Keys"). Private keys are written with mode
 * 0600 and never overwritten: losing a participant's key by accident is worse than an error.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { LedgerError } from '../core/errors.js';
import { CliError } from './cli-error.js';
import { formatPrivateKeyPem, formatPublicKeyPem, parsePrivateKeyPem, parsePublicKeyPem } from '../core/keys.js';
import { nodeEd25519 } from '../platform/node-crypto.js';

export function readPrivateKey(path: string): Uint8Array {
  return parsePrivateKeyPem(readKeyText(path));
}

export function readPublicKey(path: string): Uint8Array {
  const text = readKeyText(path);
  // A private key file also determines its public key; accept either.
  return text.includes('PRIVATE KEY') ? nodeEd25519.publicKey(parsePrivateKeyPem(text)) : parsePublicKeyPem(text);
}

function readKeyText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError('CLI_KEY_FILE_NOT_FOUND', `key file ${path} does not exist`, { cause });
    throw new LedgerError('LEDGER_KEY_INVALID', `cannot read key file ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`, { cause });
  }
}

/** Create a new key pair: `path` (private, 0600) and `path` with .pub.pem (public). */
export function writeNewKeyPair(path: string): { seed: Uint8Array; publicKey: Uint8Array; publicPath: string } {
  const publicPath = publicPathOf(path);
  for (const p of [path, publicPath]) {
    if (existsSync(p)) throw new LedgerError('LEDGER_KEY_EXISTS', `${p} already exists; refusing to overwrite a key file`);
  }
  const seed = new Uint8Array(randomBytes(32));
  const publicKey = nodeEd25519.publicKey(seed);
  writeFileSync(path, formatPrivateKeyPem(seed), { mode: 0o600, flag: 'wx' });
  writeFileSync(publicPath, formatPublicKeyPem(publicKey), { mode: 0o644, flag: 'wx' });
  return { seed, publicKey, publicPath };
}

export function publicPathOf(privatePath: string): string {
  return privatePath.replace(/(\.key)?\.pem$/, '') + '.pub.pem';
}
