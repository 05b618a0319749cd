#!/usr/bin/env bash
# setup.sh — installs every Debian package omwitness needs to build, test and run its sample.
# Idempotent and quick when everything is present: it asks dpkg first and only runs apt-get
# for what is missing. Needs root (or sudo) only when something must be installed.
set -euo pipefail

PACKAGES=(
  build-essential meson ninja-build pkg-config python3
  libpcap-dev libndpi-dev libndpi-bin libsqlite3-dev libcmocka-dev libyaml-dev
  libmicrohttpd-dev libgcrypt20-dev libjansson-dev libgnutls28-dev libcap-ng-dev libseccomp-dev
  sqlite3 tshark tcpreplay iproute2 clang libclang-rt-14-dev poppler-utils python3-jsonschema
  gnutls-bin openssl curl binutils util-linux
)
# Browser tests (web UI): Debian's chromium and node/npm for playwright-core.
if [[ "${OW_SETUP_BROWSER:-1}" == 1 ]]; then
  PACKAGES+=(chromium nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # nodejs/npm may come from elsewhere than Debian (e.g. preinstalled): accept a working binary.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm)    command -v npm  >/dev/null 2>&1 && continue ;;
    esac
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer for it.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections || true
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Browser tests: playwright-core from the lock file (no browser download: the tests drive
# Debian's chromium). Only when node_modules is missing, so a second run costs nothing.
browser_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/browser"
if [[ "${OW_SETUP_BROWSER:-1}" == 1 && -f "$browser_dir/package-lock.json" &&
      ! -d "$browser_dir/node_modules/playwright-core" ]] && command -v npm >/dev/null 2>&1; then
  echo "setup: npm ci in tests/browser" >&2
  (cd "$browser_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2) ||
    echo "setup: npm ci failed; the browser tests will be skipped" >&2
fi

# The packaged default user (deploy/omwitness.sysusers): the privilege tests run the capture
# as it. Only as root, and only when it is missing.
if [[ $(id -u) -eq 0 ]] && ! getent passwd omwitness >/dev/null; then
  echo "setup: adding the system user omwitness" >&2
  useradd --system --user-group --no-create-home --home-dir /var/lib/omwitness \
    --shell /usr/sbin/nologin omwitness || echo "setup: could not add the user omwitness" >&2
fi
