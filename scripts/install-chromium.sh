#!/usr/bin/env bash
# Installs Debian's headless Chromium for the browser tests when it is missing.
# Playwright drives this system browser (it never downloads its own).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "Installing Chromium (Debian package 'chromium') for the browser tests ..."
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "error: Chromium is missing and this user cannot install packages. Install Debian's 'chromium' package." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
