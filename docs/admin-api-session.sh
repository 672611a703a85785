#!/usr/bin/env bash
# The admin console API with curl alone, from a clean database: create-admin → sign-in → TOTP
# enrolment → live key (step-up) → rotation with a 1-hour grace (both keys work) → revocation
# (401) → account suspension → the audit trail. Prints a transcript (docs/admin-api-session.txt).
#
#   npm run build && DATABASE_URL=postgres://…/empty_db bash docs/admin-api-session.sh
#
# Needs: a built tree (dist/), an empty PostgreSQL database in DATABASE_URL, curl, jq, node.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to an empty PostgreSQL database}"
PORT="${PORT:-18443}"
BASE="http://localhost:$PORT"
JAR="$(mktemp)"
export NODE_ENV=production ADMIN_MFA_ENCRYPTION_KEY="$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')"

say() { printf '\n# %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; eval "$@"; printf '\n'; }
# The 6-digit code an authenticator app shows now (what the operator would type).
totp() { node --input-type=module -e "import {TOTP,Secret} from 'otpauth'; console.log(TOTP.generate({secret: Secret.fromBase32('$1')}))"; }
# A fresh code: TOTP steps are accepted once, so wait for the next 30-second step.
next_totp() { sleep $((30 - $(date +%s) % 30 + 1)); totp "$1"; }
csrf() { curl -s -b "$JAR" "$BASE/admin/api/auth/me" | jq -r .csrf_token; }
admin() { # METHOD PATH [JSON]
  curl -s -b "$JAR" -c "$JAR" -X "$1" "$BASE/admin/api$2" -H "X-CSRF-Token: ${CSRF:-}" -H 'Content-Type: application/json' ${3:+-d "$3"} -w '\n→ HTTP %{http_code}\n'
}

say "Schema and the first operator (CLI). The password comes from stdin, never argv."
run node dist/cli migrate
run "printf '%s' 'correct horse battery staple' | node dist/cli create-admin --email ops@example.com --name 'Ops Lead' --role super_admin --password-stdin"

say "The server (production mode: it refuses to start without ADMIN_MFA_ENCRYPTION_KEY)."
PORT=$PORT HOST=127.0.0.1 RUN_MIGRATIONS_ON_START=false LOG_LEVEL=warn node dist/main > /tmp/admin-api-session-server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -f "$JAR"' EXIT
for _ in $(seq 1 100); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.2; done
echo "listening on $BASE"

say "Sign in: email + password → a pending login (cookie __Host-ciris_admin_pending)."
run "curl -s -i -c $JAR -X POST $BASE/admin/api/auth/login -H 'Content-Type: application/json' -d '{\"email\":\"ops@example.com\",\"password\":\"correct horse battery staple\"}' | grep -iE '^(HTTP|set-cookie|content-security|cache-control)|state' | sed -E 's/=[A-Za-z0-9_-]{43}/=<token>/'"

say "First sign-in: enrol TOTP (QR code rendered as SVG by the server, plus the base32 secret)."
ENROLL=$(curl -s -b "$JAR" -c "$JAR" -X POST "$BASE/admin/api/auth/mfa/enroll")
echo "$ curl -s -b \$JAR -X POST $BASE/admin/api/auth/mfa/enroll"
echo "$ENROLL" | jq '{otpauth_uri: (.otpauth_uri | sub("secret=[A-Z2-7]+"; "secret=<redacted>")), secret_base32: "<redacted>", qr_svg: (.qr_svg[0:60] + "…")}'
SECRET=$(echo "$ENROLL" | jq -r .secret_base32)

say "Confirm with the first code: 10 recovery codes (shown once) and the session cookie __Host-ciris_admin."
CODE=$(totp "$SECRET")
run "curl -s -i -b $JAR -c $JAR -X POST $BASE/admin/api/auth/mfa/enroll/confirm -H 'Content-Type: application/json' -d '{\"code\":\"$CODE\"}' | grep -iE '^(HTTP|set-cookie)|recovery_codes' | sed -E 's/=[A-Za-z0-9_-]{43}/=<token>/; s/\"recovery_codes\":\[[^]]*\]/\"recovery_codes\":[<10 codes, shown once>]/' | cut -c1-160"
CSRF=$(csrf)
run "curl -s -b $JAR $BASE/admin/api/auth/me | jq '{user, csrf_token: \"<token>\", session: {id: .session.id, step_up_until: .session.step_up_until}}'"

say "The same TOTP code again (a replay) is refused."
run "curl -s -b $JAR -X POST $BASE/admin/api/auth/reauth -H \"X-CSRF-Token: \$CSRF\" -H 'Content-Type: application/json' -d '{\"code\":\"$CODE\"}' -w '\n→ HTTP %{http_code}\n'"

say "Without the CSRF token, or from a foreign Origin, a change is refused."
run "curl -s -b $JAR -X POST $BASE/admin/api/keys -H 'Content-Type: application/json' -d '{\"name\":\"x\",\"environment\":\"test\",\"permissions\":[\"billing:read\"]}' -w '\n→ HTTP %{http_code}\n'"
run "curl -s -b $JAR -X POST $BASE/admin/api/keys -H \"X-CSRF-Token: \$CSRF\" -H 'Origin: https://evil.example' -H 'Content-Type: application/json' -d '{\"name\":\"x\",\"environment\":\"test\",\"permissions\":[\"billing:read\"]}' -w '\n→ HTTP %{http_code}\n'"

say "Step-up: a fresh TOTP code (next 30-second step) for the sensitive actions, valid 10 minutes."
CODE=$(next_totp "$SECRET")
run "admin POST /auth/reauth '{\"code\":\"$CODE\"}'"

say "Create a live key: the plaintext is answered once."
CREATED=$(admin POST /keys '{"name":"Production Agent","environment":"live","permissions":["billing:read","billing:write"],"expires_in_days":90}')
echo "$ admin POST /keys '{\"name\":\"Production Agent\",\"environment\":\"live\",\"permissions\":[\"billing:read\",\"billing:write\"],\"expires_in_days\":90}'"
echo "$CREATED" | head -1 | jq '{key: (.key | {id, name, environment, key_prefix, permissions, status, expires_at}), plaintext_key: (.plaintext_key[0:13] + "…")}'
echo "$CREATED" | tail -1
KEY1=$(echo "$CREATED" | head -1 | jq -r .plaintext_key)
KEY1_ID=$(echo "$CREATED" | head -1 | jq -r .key.id)

check() { curl -s -X POST "$BASE/v1/billing/credits/check" -H "X-API-Key: $1" -H 'Content-Type: application/json' -d '{"oauth_provider":"oauth:google","external_id":"user-42@example.com"}' -w ' → HTTP %{http_code}\n'; }
say "The key works on the agents' API."
echo '$ curl -X POST /v1/billing/credits/check -H "X-API-Key: $KEY1" …'; check "$KEY1"

say "Rotate with a 1-hour grace: a new key (once), the old one keeps working until the grace ends."
ROTATED=$(admin POST "/keys/$KEY1_ID/rotate" '{"grace_period_seconds":3600}')
echo "$ admin POST /keys/$KEY1_ID/rotate '{\"grace_period_seconds\":3600}'"
echo "$ROTATED" | head -1 | jq '{new_key: (.new_key | {id, key_prefix, status, rotated_from}), plaintext_key: (.plaintext_key[0:13] + "…"), old_key: (.old_key | {id, status, grace_period_until, rotated_to})}'
echo "$ROTATED" | tail -1
KEY2=$(echo "$ROTATED" | head -1 | jq -r .plaintext_key)
KEY2_ID=$(echo "$ROTATED" | head -1 | jq -r .new_key.id)
echo '$ check old key:'; check "$KEY1"
echo '$ check new key:'; check "$KEY2"

say "Revoke the new key (a reason is required): refused from the next request on."
run "admin POST /keys/$KEY2_ID/revoke '{\"reason\":\"Demo: leaked in a build log\"}'"
echo '$ check new key:'; check "$KEY2"

say "Suspend the account the checks created: the agent now gets has_credit false."
ACCOUNT_ID=$(curl -s -b "$JAR" "$BASE/admin/api/accounts?environment=live&q=user-42" | jq -r '.items[0].id')
run "curl -s -b $JAR '$BASE/admin/api/accounts?environment=live&q=user-42' | jq -c '.items[] | {id, external_id, status, balance_minor}'"
run "admin POST /accounts/$ACCOUNT_ID/suspend '{\"reason\":\"Demo: abuse report #123\"}'"
echo '$ check old key (still in its grace period):'; check "$KEY1"

say "Every action, read back from the audit trail (newest first)."
run "curl -s -b $JAR '$BASE/admin/api/audit?limit=20' | jq -r '.items[] | [.created_at, .actor.type, .actor.label, .action, .outcome, (.resource_type // \"-\"), (.reason // \"-\")] | @tsv'"
