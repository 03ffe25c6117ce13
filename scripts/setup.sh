#!/usr/bin/env bash
# Installs everything Huimin needs on a fresh Debian 12 (bookworm) machine, once:
# the Debian packages of scripts/debian-packages.txt that are missing, then a
# check that every command and file that list names is there, then a virtualenv
# .venv with the Python dependencies. Safe to run again; it installs nothing
# when everything is there. Needs root for apt-get (as on the kiosk image and CI).
#
#   scripts/setup.sh                   install what is missing, check, make .venv
#   scripts/setup.sh --check           only the check: installs nothing, exits 1
#                                      naming every missing command and its package
#   scripts/setup.sh --check --root D  the same check on the Debian tree at D
#   scripts/setup.sh --list            the list: package, what is used, why
set -euo pipefail
cd "$(dirname "$0")/.."

LIST=scripts/debian-packages.txt
# root's PATH on Debian: the tests, the demo and the benchmarks run as root.
SEARCH_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

usage() {
  sed -n '8,12p' "$0" | sed 's/^# \{0,1\}//'
}

mode=install
root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) mode=check ;;
    --list) mode=list ;;
    --root)
      [ $# -ge 2 ] || { usage >&2; exit 2; }
      root=${2%/}
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "setup: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$root" ] && [ "$mode" != check ]; then
  echo "setup: --root goes with --check only" >&2
  exit 2
fi

# The list, as three parallel arrays: package, its items (space-separated), why.
packages=()
items=()
whys=()
lineno=0
trim() {
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  printf '%s' "${s%"${s##*[![:space:]]}"}"
}
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  case "$(trim "$line")" in '' | '#'*) continue ;; esac
  IFS='|' read -r pkg used why extra <<<"$line"
  pkg=$(trim "$pkg")
  used=$(trim "${used:-}")
  why=$(trim "${why:-}")
  if [ -z "$pkg" ] || [ -z "$used" ] || [ -z "$why" ] || [ -n "${extra:-}" ]; then
    echo "setup: $LIST:$lineno: want 'package | commands or files | why', got: $line" >&2
    exit 2
  fi
  packages+=("$pkg")
  items+=("$used")
  whys+=("$why")
done <"$LIST"

if [ "$mode" = list ]; then
  for i in "${!packages[@]}"; do
    printf '%-26s %-40s %s\n' "${packages[$i]}" "${items[$i]}" "${whys[$i]}"
  done
  exit 0
fi

# A command is present when an executable of that name is in a directory of
# SEARCH_PATH under $root; a file when its absolute path exists under $root.
present() {
  local item=$1 dir
  if [[ $item == /* ]]; then
    [ -e "$root$item" ]
    return
  fi
  local IFS=:
  for dir in $SEARCH_PATH; do
    if [ -f "$root$dir/$item" ] && [ -x "$root$dir/$item" ]; then
      return 0
    fi
  done
  return 1
}

# Every command and file of the list, each missing one reported with its package
# and why; returns 1 when any is missing.
check() {
  local i item missing_packages=()
  for i in "${!packages[@]}"; do
    local gone=0
    for item in ${items[$i]}; do
      if ! present "$item"; then
        echo "setup: $item not found: Debian package ${packages[$i]} (${whys[$i]})" >&2
        gone=1
      fi
    done
    [ $gone -eq 0 ] || missing_packages+=("${packages[$i]}")
  done
  if [ ${#missing_packages[@]} -gt 0 ]; then
    echo "setup: missing from ${#missing_packages[@]} package(s): ${missing_packages[*]}" >&2
    echo "setup: install with: apt-get install --reinstall ${missing_packages[*]}" >&2
    return 1
  fi
}

if [ "$mode" = check ]; then
  check
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
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
# What apt installed is not taken on trust: a package that no longer brings a
# command, or one removed by hand, stops the set-up here rather than deep in a test.
check

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
