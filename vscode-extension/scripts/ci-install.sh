#!/usr/bin/env bash
# Installs what the VS Code extension's tests need on a CI machine (Debian, as root): Debian's
# chromium for the webview page and end-to-end tests (playwright-core drives it; no browser is
# downloaded), the extension's locked npm dependencies, and code-server in e2e/ (about 2 min).
# Node.js 20.19+ and npm must already be on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

need_node_major=20
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "ci-install: node and npm (Node.js ${need_node_major}.19+) are needed on PATH" >&2
  exit 1
fi
node -e "const [a,b]=process.versions.node.split('.').map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)" || {
  echo "ci-install: Node.js 20.19+ is needed, found $(node --version)" >&2
  exit 1
}

# chromium: the page and end-to-end tests; ripgrep and the GSS headers: code-server's install
# (its ripgrep download is seeded from Debian's rg below, kerberos builds from source).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v rg >/dev/null || missing+=(ripgrep)
[ -e /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ci-install: missing ${missing[*]} and this is not root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error

# code-server (a real VS Code for the end-to-end test), offline: its postinstall must run as
# root (unsafe_perm), node-pty's runs `npx node-gyp` (yes), and @vscode/ripgrep would download
# rg from the network, so its cache is seeded with Debian's binary.
cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
mkdir -p "$cache"
tar czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg
(cd e2e && npm_config_unsafe_perm=true npm_config_yes=true npm ci --no-audit --no-fund --loglevel=error)

echo "ci-install: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), node $(node --version), npm packages and code-server installed"
