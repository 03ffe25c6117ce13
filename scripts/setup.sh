#!/usr/bin/env bash
# Installs everything Huimin needs on a fresh Debian 12 machine, once:
# the Debian packages below (only those missing) and a virtualenv in .venv
# with the Python dependencies. Safe to run again; it does nothing when
# everything is there. Needs root for apt-get (as on the kiosk image and CI).
set -euo pipefail
cd "$(dirname "$0")/.."

# Why each package is here:
#   fonts-noto-cjk   Chinese text (the kiosk refuses to start without a CJK font)
#   espeak-ng        speech synthesis (voice guidance), through pyttsx3
#   socat            virtual serial lines for the ID-card and scanner simulators in tests
#   pcscd vsmartcard-vpcd python3-virtualsmartcard libpcsclite-dev
#                    real PC/SC stack and a virtual reader for the smart-card tests;
#                    the header lets pip build pyscard
#   zbar-tools       reads QR codes back from printed receipts and screenshots in tests
#   xvfb xdotool     a real X display for the demo without a screen and for benchmarks
#   chromium chromium-driver  the operators' console tested in a real browser
#   postgresql       the hub tested at scale
#   sox alsa-utils   measuring synthesised speech; audio plumbing
#   systemd          systemd-analyze verify for the units in systemd/
#   gettext          msgfmt --check for the translation catalogues
#   python3-venv python3-dev gcc  the virtualenv, and building pyscard from its sdist
DEB_PACKAGES=(fonts-noto-cjk espeak-ng socat pcscd vsmartcard-vpcd python3-virtualsmartcard
  libpcsclite-dev zbar-tools xvfb xdotool chromium chromium-driver postgresql sox alsa-utils
  systemd gettext fontconfig python3-venv python3-dev gcc)

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install Debian packages (run as root or with sudo)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating virtualenv .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python dependencies"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
