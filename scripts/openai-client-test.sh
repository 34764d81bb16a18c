#!/usr/bin/env bash
# Runs the official OpenAI Python client (PyPI `openai`, pinned) against `bitnet serve` on loopback:
# scripts/openai-client-test.py. The client lives in a virtualenv cached under
#   ${BITNET_CACHE_DIR:-~/.cache/bitnet-swift}/venv/openai-<version>
# so the second run installs nothing. The test command runs this; it needs the built CLI (.build/release/bitnet).
set -euo pipefail
cd "$(dirname "$0")/.."

OPENAI_VERSION=3.63.0
venv="${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}/venv/openai-$OPENAI_VERSION"
log() { printf '[openai-client] %s\n' "$*" >&2; }

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import openai" 2>/dev/null; then
    log "creating $venv (openai==$OPENAI_VERSION from PyPI)"
    rm -rf "$venv.partial"
    python3 -m venv "$venv.partial"
    "$venv.partial/bin/pip" install --quiet --disable-pip-version-check "openai==$OPENAI_VERSION"
    rm -rf "$venv"
    mv "$venv.partial" "$venv"
    # A venv records its own path in its scripts; recreate the entry points under the final name.
    python3 -m venv --upgrade "$venv" >/dev/null
fi
exec "$venv/bin/python" scripts/openai-client-test.py "$@"
