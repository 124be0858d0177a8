#!/usr/bin/env bash
# Makes sure Debian's chromium and chromium-driver are installed (the browser the end-to-end tests drive;
# Playwright downloads no browser of its own). Installs them with apt-get when missing: needs root.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "chromium is missing and installing it needs root: apt-get install chromium chromium-driver" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || {
  apt-get update -q >/dev/null
  apt-get install -y -q chromium chromium-driver >/dev/null
}
test -x /usr/bin/chromium
