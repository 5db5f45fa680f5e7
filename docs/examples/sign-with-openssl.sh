#!/usr/bin/env bash
# Sign and submit a trace-ledger entry with nothing but openssl, curl and coreutils.
#
#   docs/examples/sign-with-openssl.sh KEY.pem PAYLOAD_JCS [URL]
#
# Prints the receipt and exits 0 when the service accepts the entry; exits 1 with the service's
# problem on stderr when it refuses it (and curl's own status when it cannot reach the service).
#
# PAYLOAD_JCS must already be the payload's canonical JSON (RFC 8785): members sorted by name,
# no whitespace, strings and numbers as JSON.stringify writes them. For payloads made of strings
# and integers, `jq -cS .` produces exactly that. The signature covers the bytes
# "trace-ledger/v1 entry\n" followed by those bytes.
set -euo pipefail
key=$1 payload=$2 url=${3:-http://127.0.0.1:8080}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# kid = hex of the first 8 bytes of SHA-256 of the raw 32-byte public key (the last 32 bytes of
# the SPKI DER encoding of an Ed25519 key).
openssl pkey -in "$key" -pubout -outform DER | tail -c 32 > "$tmp/pub.raw"
kid=$(openssl dgst -sha256 -binary "$tmp/pub.raw" | head -c 8 | od -An -tx1 | tr -d ' \n')

printf 'trace-ledger/v1 entry\n%s' "$payload" > "$tmp/message"
openssl pkeyutl -sign -inkey "$key" -rawin -in "$tmp/message" -out "$tmp/sig"
sig=$(b64url < "$tmp/sig")

printf '{"payload":%s,"signature":{"kid":"%s","sig":"%s"}}' "$payload" "$kid" "$sig" > "$tmp/entry.json"
# The receipt goes to stdout; a refusal (any non-2xx, an RFC 9457 problem naming its code) goes to
# stderr and fails the script, so `set -e` callers and CI notice it.
status=$(curl -sS -o "$tmp/answer" -w '%{http_code}' -X POST "$url/v1/entries" -H 'content-type: application/json' --data-binary @"$tmp/entry.json")
if [[ $status != 2?? ]]; then
  echo "sign-with-openssl.sh: the service refused the entry (HTTP $status): $(cat "$tmp/answer")" >&2
  exit 1
fi
cat "$tmp/answer"
echo
