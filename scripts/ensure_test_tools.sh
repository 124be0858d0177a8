#!/usr/bin/env bash
# Makes sure the Debian packages the tests use are installed: chromium and chromium-driver (the browser the
# end-to-end tests drive; Playwright downloads no browser of its own), poppler-utils (pdftotext, to read
# the letters' PDFs) and graphviz (dot, which lays out the workflow diagrams; without it the app draws them
# itself, and the tests of the Graphviz layout would skip). Installs what is missing with apt-get: needs root.
set -euo pipefail
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium chromium-driver)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v dot >/dev/null || missing+=(graphviz)
if [[ ${#missing[@]} -eq 0 ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "missing ${missing[*]}; installing needs root: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
}
test -x /usr/bin/chromium && command -v pdftotext >/dev/null && command -v dot >/dev/null
