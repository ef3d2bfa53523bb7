#!/usr/bin/env bash
# One entry point for a fresh machine: `npm test`, `npm run demo`, `npm run setup`.
# Installs what is missing (Debian packages, pnpm), installs dependencies, builds, then runs the task.
# Idempotent: each step is skipped quickly when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

TASK="${1:-test}"
shift || true
PNPM_VERSION="12.4.2"
APT_PACKAGES=(libfaiss-dev libopenblas-dev)
export TURBO_TELEMETRY_DISABLED=1
# pnpm 12 does not pass nodedir to node-gyp; native dev dependencies (better-sqlite3) build against Node's own headers.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

log() { printf '\033[1m[ffdb]\033[0m %s\n' "$*" >&2; }

ensure_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; else
      log "Missing Debian packages: ${missing[*]} (needed to build faiss-node for @ffdb/vector-faiss)."
      log "Run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
      exit 1
    fi
  else SUDO=""; fi
  log "Installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then return 0; fi
  if [ -x .tools/node_modules/.bin/pnpm ]; then export PATH="$PWD/.tools/node_modules/.bin:$PATH"; return 0; fi
  log "Installing pnpm $PNPM_VERSION"
  if [ "$(id -u)" -eq 0 ]; then npm install -g "pnpm@$PNPM_VERSION" --no-fund --no-audit >/dev/null 2>&1 || true; fi
  if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
    npm install --prefix .tools "pnpm@$PNPM_VERSION" --no-fund --no-audit >/dev/null
    export PATH="$PWD/.tools/node_modules/.bin:$PATH"
  fi
}

ensure_deps() {
  # Skip the install when node_modules already matches the lockfile.
  if [ -f node_modules/.pnpm/lock.yaml ] && cmp -s pnpm-lock.yaml .tools/installed-lock.yaml 2>/dev/null; then return 0; fi
  log "Installing dependencies (pnpm install --frozen-lockfile)"
  pnpm install --frozen-lockfile
  mkdir -p .tools && cp pnpm-lock.yaml .tools/installed-lock.yaml
}

build() {
  log "Building"
  pnpm exec turbo run build --output-logs=errors-only
}

ensure_apt_packages
ensure_pnpm
ensure_deps

case "$TASK" in
  setup) build ;;
  test)
    build
    log "Linting"
    pnpm exec biome lint .
    node tools/check-layers/src/check-layers.mjs
    log "Testing"
    status=0
    pnpm exec turbo run test --concurrency=1 --continue "$@" || status=$?
    node scripts/summarize-tests.mjs
    exit $status
    ;;
  demo)
    build
    node packages/cli/dist/bin.js demo "$@"
    ;;
  *) log "unknown task $TASK"; exit 2 ;;
esac
