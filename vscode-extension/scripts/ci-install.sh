#!/usr/bin/env bash
# Installs what the VS Code extension's tests need on a CI machine (Debian, as root): Debian's
# chromium for the webview page tests (playwright-core drives it; no browser is downloaded) and
# the extension's locked npm dependencies. Node.js 20.19+ and npm must already be on PATH.
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

if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ci-install: chromium is missing and this is not root: apt-get install chromium" >&2
    exit 1
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
fi

PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
echo "ci-install: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), node $(node --version), npm packages installed"
