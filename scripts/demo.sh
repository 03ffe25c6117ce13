#!/usr/bin/env bash
# `make demo`: the kiosk in a window with simulated devices and the embedded
# hub (demo data). HEADLESS=1 runs it under Xvfb instead, walks the first
# journey and writes screenshots to artifacts/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
headless=${1:-0}
window=${2:-1280x800}
export PYTHONPATH=$PWD PYGAME_HIDE_SUPPORT_PROMPT=1

if [ "$headless" = "1" ]; then
  exec xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python scripts/demo_tour.py --window "$window" --out artifacts/demo
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset). Run 'make demo HEADLESS=1' to run the demo under Xvfb and write screenshots to artifacts/demo/." >&2
  exit 1
fi
echo "Demo keys: F7 place a demo ID card · F8 lift it · F9 social-security card · F10 payment code · F11 printer paper · F2 长辈模式 · F3 语音 · Esc back · F1 call staff"
exec .venv/bin/python main.py --config config/kiosk.toml --windowed "$window"
