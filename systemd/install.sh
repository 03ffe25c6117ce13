#!/usr/bin/env bash
# Install or update Huimin on a Debian 12 box from this source tree.
#
#   sudo systemd/install.sh [--dry-run] [--hub] [--no-kiosk] [--start]
#
#   --dry-run   print every command it would run (with the checks it made); change nothing
#   --hub       also install and enable the county hub (huimin-hub.service)
#   --no-kiosk  do not install/enable the kiosk unit (a hub-only server)
#   --start     start (or restart) the enabled units at the end instead of at next boot
#               (the hub only once its config passes its own check: exit 1 otherwise)
#
# Idempotent: run it again after updating the source to update the box. It creates
# the service users, /var/lib/huimin, /var/log/huimin and /etc/huimin (config copied
# from config/*.production.example.toml only if absent, so local edits survive; the
# hub's has secrets to set before it starts), installs the app and its
# virtualenv under /opt/huimin, the hub's data key (only if absent), the units and
# the udev rules, then reloads systemd and enables the units.
#
# The directory constants can be overridden through HUIMIN_* environment variables
# (for packaging and for the tests of this script); the defaults are what the units use.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${HUIMIN_PREFIX:-/opt/huimin}"
ETC_DIR="${HUIMIN_ETC_DIR:-/etc/huimin}"
UNIT_DIR="${HUIMIN_UNIT_DIR:-/etc/systemd/system}"
UDEV_DIR="${HUIMIN_UDEV_DIR:-/etc/udev/rules.d}"
KIOSK_USER=huimin
HUB_USER=huimin-hub
# The hub unit's WorkingDirectory (its state: SQLite, the data key).
HUB_STATE_DIR=/var/lib/huimin-hub
NOLOGIN=/usr/sbin/nologin

# What goes to /opt/huimin: code and data the app reads, nothing from development.
APP_ITEMS=(main.py protocol kiosk drivers screens hub config locale requirements.txt
  pyproject.toml README.md)
# Debian packages the deployed box needs, and why:
#   cage            the Wayland kiosk compositor the kiosk unit runs
#   xwayland        cage 0.1.4 refuses to start without the Xwayland binary
#                   (Debian only recommends it; the kiosk itself never uses X)
#   libgl1-mesa-dri Mesa's GPU drivers (and llvmpipe): cage renders with them, and
#                   SDL's Wayland window is an OpenGL ES texture (only recommended too)
#   python3-venv    the virtualenv under /opt/huimin
#   espeak-ng       speech synthesis (drivers/speech)
#   fonts-noto-cjk  Chinese text
#   pcscd           social-security/bank card reader service (PC/SC)
#   libpcsclite1    the PC/SC client library pyscard loads
KIOSK_PACKAGES=(cage xwayland libgl1-mesa-dri python3-venv espeak-ng fonts-noto-cjk pcscd
  libpcsclite1)
HUB_PACKAGES=(python3-venv)

DRY_RUN=0
KIOSK=1
HUB=0
START=0

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    --hub) HUB=1 ;;
    --no-kiosk) KIOSK=0 ;;
    --start) START=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "install.sh: unknown option '$arg'" >&2
      usage >&2
      exit 2
      ;;
  esac
done

if [ "$KIOSK" -eq 0 ] && [ "$HUB" -eq 0 ]; then
  echo "install.sh: nothing to install (--no-kiosk without --hub)" >&2
  exit 2
fi
if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: must run as root (or use --dry-run to see what it would do)" >&2
  exit 1
fi

# Run a command, or in dry-run mode print it shell-quoted after "+ ".
run() {
  if [ "$DRY_RUN" -eq 1 ]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

note() { printf '%s\n' "$*"; }

ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    note "packages: all present ($*)"
    return
  fi
  run apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}

# A system account with no login shell; its home is its state directory.
ensure_user() {
  local user="$1" home="$2"
  if id -u "$user" >/dev/null 2>&1; then
    note "user $user: exists"
  else
    run useradd --system --user-group --home-dir "$home" --no-create-home \
      --shell "$NOLOGIN" "$user"
  fi
}

# Copy a config template to /etc/huimin only when the target is absent: operators
# edit these files (hub URL, enrolment code) and an update must not overwrite them.
install_config() {
  local target="$1" group="$2"
  shift 2
  local template
  if [ -e "$target" ]; then
    note "config $target: exists, kept"
    return
  fi
  for template in "$@"; do
    if [ -f "$SRC/$template" ]; then
      # 0640 root:<service group>: the service reads it, cannot change it, others cannot read
      # the enrolment code in it.
      run install -m 0640 -o root -g "$group" "$SRC/$template" "$target"
      return
    fi
  done
  note "config $target: no template in config/ ($*); write it before starting" >&2
}

# The hub's config comes only from the production template: falling back to the
# demo's config/hub.toml would install demo data, a reusable enrolment code, the
# sandbox payment channel and published secrets as production.
install_hub_config() {
  local target="$ETC_DIR/hub.toml" template=config/hub.production.example.toml
  if [ -e "$target" ]; then
    note "config $target: exists, kept"
    return
  fi
  if [ ! -f "$SRC/$template" ]; then
    echo "install.sh: $template is missing from the source tree; refusing to install" \
      "the hub without its production config (the demo's config/hub.toml is not one)" >&2
    exit 1
  fi
  run install -m 0640 -o root -g "$HUB_USER" "$SRC/$template" "$target"
  note "config $target: installed from $template; set secret_key, bootstrap_password and" \
    "public_url in it: the hub refuses to start until then"
}

# The key that seals personal data at rest (hub/crypto.py), made once by the hub's
# own command, from the unit's working directory so that a relative data_key_file
# lands where the hub will look, and handed to the hub's user (mode 0600). Never
# replaced: a lost key loses the data it sealed. An existing one is kept.
create_data_key() {
  local python="$PREFIX/.venv/bin/python"
  run env -C "$HUB_STATE_DIR" PYTHONPATH="$PREFIX" "$python" -m hub \
    --config "$ETC_DIR/hub.toml" data-key create --owner "$HUB_USER"
}

# Before (re)starting the hub: its own check of the config, which prints one line
# per unset secret or demo value. A refused config is not started.
check_hub_config() {
  local python="$PREFIX/.venv/bin/python"
  if [ "$DRY_RUN" -eq 1 ]; then
    run "$python" -m hub --config "$ETC_DIR/hub.toml" --check
    return 0
  fi
  if ! (cd "$PREFIX" && "$python" -m hub --config "$ETC_DIR/hub.toml" --check); then
    echo "install.sh: huimin-hub.service is installed and enabled but not started: fix" \
      "$ETC_DIR/hub.toml as said above, then: systemctl start huimin-hub.service" >&2
    return 1
  fi
}

install_app() {
  local item
  run install -d -m 0755 -o root -g root "$PREFIX"
  for item in "${APP_ITEMS[@]}"; do
    if [ ! -e "$SRC/$item" ]; then
      note "app: $item not in the source tree, skipped"
      continue
    fi
    # Copy beside, then swap: a running kiosk never sees a half-copied package.
    run rm -rf "$PREFIX/$item.new"
    run cp -R "$SRC/$item" "$PREFIX/$item.new"
    if [ -d "$SRC/$item" ]; then
      run find "$PREFIX/$item.new" -name __pycache__ -prune -exec rm -rf {} +
    fi
    run rm -rf "$PREFIX/$item"
    run mv "$PREFIX/$item.new" "$PREFIX/$item"
  done
  if [ -x "$PREFIX/.venv/bin/python" ]; then
    note "venv $PREFIX/.venv: exists"
  else
    run python3 -m venv "$PREFIX/.venv"
  fi
  # pip leaves satisfied pins alone, so this is cheap on a re-run.
  run "$PREFIX/.venv/bin/pip" install --quiet --no-input --disable-pip-version-check \
    -r "$PREFIX/requirements.txt"
  # The units mount /opt read-only (ProtectSystem=strict): compile now, or Python
  # recompiles every module in memory at each start.
  run "$PREFIX/.venv/bin/python" -m compileall -q "$PREFIX"
  # The translation catalogues too: kiosk/i18n.py compiles a .po on first use, beside
  # it, which a read-only /opt refuses (the kiosk would not start).
  run env PYTHONPATH="$PREFIX" "$PREFIX/.venv/bin/python" -c \
    'from kiosk.i18n import LANGUAGES, Translator; [Translator(lang) for lang in LANGUAGES]'
}

install_unit() {
  run install -m 0644 -o root -g root "$SRC/systemd/$1" "$UNIT_DIR/$1"
}

# ---------------------------------------------------------------------------

[ "$DRY_RUN" -eq 1 ] && note "dry run: nothing will be changed"

packages=()
[ "$KIOSK" -eq 1 ] && packages+=("${KIOSK_PACKAGES[@]}")
[ "$HUB" -eq 1 ] && packages+=("${HUB_PACKAGES[@]}")
ensure_packages "${packages[@]}"

# /etc/huimin: root-owned and world-traversable; each file is readable by its service.
run install -d -m 0755 -o root -g root "$ETC_DIR"

if [ "$KIOSK" -eq 1 ]; then
  ensure_user "$KIOSK_USER" /var/lib/huimin
  # State (journal, credential, speech cache) and logs: the only writable paths of the unit.
  run install -d -m 0750 -o "$KIOSK_USER" -g "$KIOSK_USER" /var/lib/huimin /var/log/huimin
  install_config "$ETC_DIR/kiosk.toml" "$KIOSK_USER" \
    config/kiosk.production.example.toml config/kiosk.toml
fi
if [ "$HUB" -eq 1 ]; then
  ensure_user "$HUB_USER" "$HUB_STATE_DIR"
  run install -d -m 0750 -o "$HUB_USER" -g "$HUB_USER" "$HUB_STATE_DIR" /var/log/huimin-hub
  install_hub_config
fi

install_app
[ "$HUB" -eq 1 ] && create_data_key

units=()
if [ "$KIOSK" -eq 1 ]; then
  install_unit huimin-kiosk.service
  units+=(huimin-kiosk.service)
  # Stable /dev/huimin-* names for the readers, scanner and printer.
  run install -m 0644 -o root -g root "$SRC/systemd/99-huimin.rules" "$UDEV_DIR/99-huimin.rules"
  # Without a running udev (building an image in a chroot) the rules apply at next boot.
  run udevadm control --reload || note "udev not running: rules apply at next boot"
  run udevadm trigger --action=add --subsystem-match=tty --subsystem-match=usbmisc || true
fi
if [ "$HUB" -eq 1 ]; then
  install_unit huimin-hub.service
  units+=(huimin-hub.service)
fi

# Fails harmlessly in a chroot (no systemd running); "enable" below works offline.
run systemctl daemon-reload || note "systemd not running: units load at next boot"
run systemctl enable "${units[@]}"
if [ "$START" -eq 1 ]; then
  start_units=()
  refused=0
  [ "$KIOSK" -eq 1 ] && start_units+=(huimin-kiosk.service)
  if [ "$HUB" -eq 1 ]; then
    if check_hub_config; then start_units+=(huimin-hub.service); else refused=1; fi
  fi
  [ ${#start_units[@]} -gt 0 ] && run systemctl restart "${start_units[@]}"
  exit "$refused"
else
  note "enabled ${units[*]}; they start at next boot (or run: systemctl start ${units[*]})"
fi
