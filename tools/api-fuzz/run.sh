#!/usr/bin/env bash
# The schema-driven API fuzzer (schemathesis) against a real perlinsos-server, with valid
# device signatures.
#
#   tools/api-fuzz/run.sh SERVER_BIN [SECONDS]
#
# Starts the server on loopback with a throw-away SQLite data folder, gives the feed something
# to serve (a signed PMT model, a recipient list, a DTSEN extract assigned to the agent),
# enrolls a device with a one-time code and a fresh Ed25519 key, and runs schemathesis
# through sign_proxy.py, which signs every request as the phone does. Exits non-zero on any
# failed check: a 5xx, a status code, content type, header or body the OpenAPI document
# (server/openapi.json) does not describe, an unsigned request served, and the rest of
# schemathesis's checks (see CHECKS below).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
server_bin="${1:?usage: run.sh SERVER_BIN [SECONDS]}"
seconds="${2:-90}"

SCHEMATHESIS_VERSION=4.32.5
venv="$HOME/.cache/perlinsos/schemathesis-$SCHEMATHESIS_VERSION"
if [ ! -x "$venv/bin/st" ]; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into $venv" >&2
    command -v python3 >/dev/null 2>&1 || { echo "python3 is needed" >&2; exit 1; }
    python3 -m venv "$venv" 2>/dev/null || {
        sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq && $sudo apt-get install -y -qq python3-venv
        python3 -m venv "$venv"
    }
    "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" "cryptography==51.0.1"
fi
py="$venv/bin/python"

work=$(mktemp -d /tmp/perlinsos-api-fuzz.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
server_port=$(free_port)
proxy_port=$(free_port)
data="$work/data"
kelurahan=52.71.01.1004
agent=agen-fuzz

"$server_bin" --data "$data" serve --listen "127.0.0.1:$server_port" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    "$py" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$server_port/v1/health', timeout=1)" \
        2>/dev/null && break
    sleep 0.1
done

# Something in the feed: a model, a recipient list, families on the agent's worklist.
"$server_bin" --data "$data" publish-model "$root/core/models/ilustratif-kota-mataram.json" >/dev/null
"$server_bin" --data "$data" import-recipients "$root/core/fuzz/seeds/recipients/list.csv" >/dev/null
head -40 "$root/bindings/kotlin-tests/fixtures/dtsen-sample-71x12.csv" >"$work/families.csv"
"$server_bin" --data "$data" import-families "$work/families.csv" >/dev/null
code=$("$server_bin" --data "$data" enroll-code --agent "$agent" --scope "$kelurahan" \
    --url "http://127.0.0.1:$server_port" | sed -n 's/^Kode pendaftaran *: *\([^ ]*\).*/\1/p')
"$server_bin" --data "$data" assign --agent "$agent" --kelurahan "$kelurahan" >/dev/null 2>&1 || true

# A device key, enrolled over the API as a phone enrolls.
read -r device_id key_hex < <("$py" - "$server_port" "$code" <<'EOF'
import json, sys, urllib.request
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization as s
port, code = sys.argv[1], sys.argv[2]
key = Ed25519PrivateKey.generate()
public = key.public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw).hex()
private = key.private_bytes(s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption()).hex()
device = "hp-fuzz-01"
body = json.dumps({"code": code, "device_id": device, "device_public_key": public}).encode()
request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/enroll", data=body,
                                 headers={"content-type": "application/json"})
enrolled = json.load(urllib.request.urlopen(request, timeout=10))
assert enrolled["scope"], enrolled
print(device, private)
EOF
)
# Families assigned after enrollment reach the device's worklist too (assign needs a device).
"$server_bin" --data "$data" assign --agent "$agent" --kelurahan "$kelurahan" >/dev/null

"$py" "$here/sign_proxy.py" "$proxy_port" "$server_port" "$device_id" "$key_hex" &
pids+=($!)
for _ in $(seq 50); do
    "$py" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$proxy_port/v1/health', timeout=1)" \
        2>/dev/null && break
    sleep 0.1
done

# Every check but the stateful ones that need links between operations the API does not have
# (use_after_free, ensure_resource_availability: no DELETE; object_level_authorization: one
# device).
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,positive_data_acceptance,missing_required_header,unsupported_method,allow_header_conformance,ignored_auth

# One worker: with two, hypothesis's lambda descriptions hit a CPython 3.11 bug in ast.parse
# from threads ("AST constructor recursion depth mismatch") and schemathesis reports an error.
started=$(date +%s)
status=0
# From the throw-away folder: schemathesis keeps its cache (.schemathesis/) in the working one.
(cd "$work" && "$venv/bin/st" --config-file "$here/schemathesis.toml" run "$root/server/openapi.json" \
    --url "http://127.0.0.1:$proxy_port" \
    --header "x-perlinsos-signature: sign" \
    --checks "$CHECKS" \
    --max-time "$seconds" \
    --workers 1 \
    --seed "${API_FUZZ_SEED:-$(date +%s)}" \
    --request-timeout 30 \
    --no-color \
    --report junit --report-dir "$work/report") || status=$?
echo "api-fuzz: schemathesis finished in $(( $(date +%s) - started )) s (exit $status)"
if grep -q 'panicked' "$work/server.log"; then
    echo "api-fuzz: the server panicked:" >&2
    grep -B2 -A5 'panicked' "$work/server.log" >&2
    status=1
fi
junit=$(ls "$work"/report/junit*.xml 2>/dev/null | head -1)
if [ -n "$junit" ]; then
    tests=$(grep -o 'tests="[0-9]*"' "$junit" | head -1 | grep -o '[0-9]*')
    failures=$(grep -o 'failures="[0-9]*"' "$junit" | head -1 | grep -o '[0-9]*')
    errors=$(grep -o 'errors="[0-9]*"' "$junit" | head -1 | grep -o '[0-9]*')
    echo "api-fuzz: $((tests - failures - errors)) passed, $((failures + errors)) failed"
fi
exit "$status"
