#!/usr/bin/env bash
# Calls the Fleet REST API as a script would: client credentials at /connect/token, then one GET with
# the token. Needs only bash and curl (no jq).
#
#   scripts/api-example.sh PORTAL_URL CLIENT_ID CLIENT_SECRET [PATH]
#   PORTAL_URL=... CLIENT_ID=... CLIENT_SECRET=... scripts/api-example.sh      (keeps the secret out of `ps`)
#
# PATH defaults to /api/v1/devices. Create the client in the portal under Admin > API clients with the
# scope fleet.read. Prints the API's JSON on stdout; exits non-zero with the reason on stderr.
set -euo pipefail

portal_url=${1:-${PORTAL_URL:-}}
client_id=${2:-${CLIENT_ID:-}}
client_secret=${3:-${CLIENT_SECRET:-}}
path=${4:-/api/v1/devices}
if [ -z "$portal_url" ] || [ -z "$client_id" ] || [ -z "$client_secret" ]; then
  echo "usage: $0 PORTAL_URL CLIENT_ID CLIENT_SECRET [PATH]  (or set PORTAL_URL, CLIENT_ID, CLIENT_SECRET)" >&2
  exit 2
fi
portal_url=${portal_url%/}

# The form body goes through stdin so the secret is not on curl's command line. Ids and secrets the portal
# generates are URL-safe, so they need no encoding.
if ! response=$(printf 'grant_type=client_credentials&scope=fleet.read&client_id=%s&client_secret=%s' "$client_id" "$client_secret" \
    | curl -sS --fail-with-body --data-binary @- -H 'Content-Type: application/x-www-form-urlencoded' "$portal_url/connect/token"); then
  echo "token request failed: $response" >&2
  exit 1
fi

token=$(printf '%s' "$response" | sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
if [ -z "$token" ]; then
  echo "no access_token in: $response" >&2
  exit 1
fi

# The header, too, comes from stdin. The token is valid for Fleet:Identity:AccessTokenLifetimeMinutes (30 by default).
if ! body=$(printf 'Authorization: Bearer %s\n' "$token" | curl -sS --fail-with-body -H @- -H 'Accept: application/json' "$portal_url$path"); then
  echo "GET $path failed: $body" >&2
  exit 1
fi
printf '%s\n' "$body"
