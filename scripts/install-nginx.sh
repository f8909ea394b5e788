#!/usr/bin/env bash
# Installs Debian's nginx for the reverse-proxy test (tests/test_proxy.py) when it is missing.
# The test runs its own nginx master as this user on loopback (its own config, pid and log files);
# the system service is not started or used.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
echo "Installing nginx (Debian package 'nginx') for the proxy test ..."
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "error: nginx is missing and this user cannot install packages. Install Debian's 'nginx' package." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d: do not start the system nginx service on install (containers, CI)
$SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
test -x /usr/sbin/nginx
