/** Response schemas of the log's routes (src/http/routes/ledger-routes.ts), after src/ledger.ts. */
import { arr, base64, hex64, nullable, obj, recordView, str, time, uint } from './common.js';

export const receipt = obj({ seq: uint, leafHash: hex64, chainHash: hex64, recordedAt: time });

export const recordsPage = obj({
  records: arr(recordView),
  next: { ...nullable(uint), description: 'Pass as `after` for the next page; null on the last page' },
});

export const checkpointList = obj({
  checkpoints: arr(obj({ size: uint, signedAt: time, note: { type: 'string', description: 'C2SP signed note' } })),
});

export const inclusionProof = obj({
  seq: uint,
  treeSize: uint,
  leafHash: hex64,
  rootHash: { ...base64, description: 'RFC 9162 root of the tree of treeSize (base64)' },
  hashes: { ...arr(base64), description: 'Audit path, leaf to root (base64)' },
});

export const consistencyProof = obj({
  from: uint,
  to: uint,
  fromRoot: base64,
  toRoot: base64,
  hashes: { ...arr(base64), description: 'RFC 9162 §2.1.4 consistency proof (base64)' },
});

export const participant = obj({
  id: str,
  name: str,
  roles: arr(str),
  gln: nullable(str),
  registeredSeq: uint,
  keys: arr(
    obj({
      kid: { type: 'string', pattern: '^[0-9a-f]{16}$' },
      publicKey: { type: 'string', description: 'Ed25519 public key, base64url' },
      addedSeq: uint,
      revokedSeq: nullable(uint),
      valid: { type: 'boolean' },
      addedBy: { type: 'string', description: 'signer of the entry that added the key (the operator for a first key, from the registration)' },
      operatorAdded: { type: 'boolean', description: 'a recovery key: added by an operator after all the participant\'s keys were revoked; the participant never signed for it' },
    }),
  ),
  prefixes: { ...nullable(arr(str)), description: 'GS1 Company Prefixes (null: registered before prefixes existed, see docs/format.md)' },
  delegatedPrefixes: {
    ...arr(obj({ prefix: str, from: str, seq: uint, until: nullable(str) })),
    description: 'Company prefixes of other participants it may commission under (prefix.delegate)',
  },
});

export const participantList = obj({ participants: arr(participant) });

export const health = obj({ status: { type: 'string', const: 'ok' }, size: uint, checkpointSize: uint });

export const readiness = obj({ status: { type: 'string', const: 'ready' }, size: uint });
