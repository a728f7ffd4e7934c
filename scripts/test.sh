#!/usr/bin/env bash
# The project's test command: ./scripts/test.sh
#
#   1. prepare the real Docker test environment (scripts/test-env.sh)
#   2. cargo fmt --check, cargo clippy -D warnings
#   3. the Rust test suite (cargo-nextest, or cargo test as a fallback)
#   4. the generated TypeScript API types and permission table are committed and current
#   5. the web UI: type check, then end-to-end tests (Playwright + Debian's Chromium) against a
#      real `berth serve` and the real engine
#
# Exits non-zero as soon as a step fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

# --- 1. Docker test environment ---------------------------------------------
step "preparing Docker test environment"
if [ "$(id -u)" -eq 0 ]; then
    ./scripts/test-env.sh
elif command -v sudo >/dev/null 2>&1; then
    sudo ./scripts/test-env.sh
else
    echo "scripts/test-env.sh needs root (and sudo is not available)" >&2
    exit 1
fi
# shellcheck disable=SC1091
. /run/berth-test/env

# --- 2. formatting and lints --------------------------------------------------
step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

# --- 3. Rust tests --------------------------------------------------------------
if cargo nextest --version >/dev/null 2>&1; then
    step "cargo nextest run --workspace --no-fail-fast"
    cargo nextest run --workspace --no-fail-fast
else
    step "cargo test --workspace --no-fail-fast (cargo-nextest not installed)"
    cargo test --workspace --no-fail-fast
fi

# --- 4. generated files are committed and current ------------------------------
# The tests above rewrite the TypeScript types (ts-rs, from crates/berth-api) and the permission
# table (docs/permissions.md, from crates/berth/src/auth/permissions.rs); a change must be committed.
step "generated files (web/src/api/types, docs/permissions.md) are current"
if [ -n "$(git status --porcelain -- web/src/api/types docs/permissions.md)" ]; then
    git status --porcelain -- web/src/api/types docs/permissions.md >&2
    echo "generated files changed: run 'cargo test --workspace' and commit them" >&2
    exit 1
fi

# --- 5. the web UI end to end ----------------------------------------------------
# The debug binary embeds the UI (crates/berth/build.rs ran npm); the tests start it themselves.
step "web UI: type check and end-to-end tests (Playwright, /usr/bin/chromium)"
cargo build -p berth
(
    cd web
    [ -d node_modules ] || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
    npm run typecheck
    BERTH_BIN="${CARGO_TARGET_DIR:-$PWD/../target}/debug/berth" npx playwright test
)

step "all checks passed"
