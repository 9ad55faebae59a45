#!/usr/bin/env bash
# Recomputes signatures.tsv with openssl, independently of kycwatch's Go code.
# Columns: scheme, secret, message file (relative to testdata/), hex digest.
#   hmac   = HMAC-SHA256(secret, bytes)         (Veriff X-HMAC-SIGNATURE, VerifiMe)
#   legacy = SHA-256(bytes || secret)            (Veriff's retired X-SIGNATURE)
set -euo pipefail
cd "$(dirname "$0")/.."
secret='abcdef12-abcd-abcd-abcd-abcdef012345'
other='kycwatch-test-secret-2'
hmac() { openssl dgst -sha256 -hmac "$1" -r < "$2" | cut -d' ' -f1; }
legacy() { cat "$2" <(printf '%s' "$1") | openssl dgst -sha256 -r | cut -d' ' -f1; }
{
  for f in vectors/veriff-published-message.bin vectors/session-id.bin payloads/*.json payloads/broken/*.txt; do
    printf 'hmac\t%s\t%s\t%s\n' "$secret" "$f" "$(hmac "$secret" "$f")"
    printf 'hmac\t%s\t%s\t%s\n' "$other" "$f" "$(hmac "$other" "$f")"
  done
  for f in vectors/veriff-published-message.bin payloads/veriff-event-7002-submitted.json; do
    printf 'legacy\t%s\t%s\t%s\n' "$secret" "$f" "$(legacy "$secret" "$f")"
  done
} > vectors/signatures.tsv
