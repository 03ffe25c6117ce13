#!/usr/bin/env bash
# The newcomer's two commands, rehearsed in a clean Debian 12 root (make fresh-check).
#
# Builds a minimal bookworm root (mmdebstrap --variant=minbase, plus make, from the
# Debian mirror this machine's apt uses), copies the committed tree of this clone
# (git archive HEAD: uncommitted changes are not in it) to /root/huimin, and runs,
# inside it as root:
#   1. make setup            network on: apt and PyPI
#   2. make test             a private network namespace (loopback only)
#   3. make demo HEADLESS=1  a private network namespace; its screenshots must appear
# It prints how long each step took and exits 1 when any step fails.
#
#   scripts/fresh_check.sh [--setup-only] [--drop PACKAGE] [--keep] [--out DIR]
#
#   --setup-only  step 1 only: the set-up and its tool check (what CI runs)
#   --drop PKG    after step 1, remove PKG (dpkg --force-depends, as a person's
#                 apt-get remove would, without its dependants) and show that
#                 scripts/setup.sh --check fails naming PKG and that the set-up
#                 installs it again; steps 2 and 3 are not run
#   --keep        leave the root on disk (its path is printed) instead of deleting it
#   --out DIR     where the logs and the demo's screenshots are copied
#                 (default: artifacts/fresh-check in this clone)
#
# Each step runs in its own mount and PID namespace (unshare), so every mount and
# process it started goes away with it, even when it fails or is interrupted.
# Cached: only Debian's own minbase tarball, in /var/cache/huimin-fresh-check, keyed
# by the day and by what it is built from. The project's set-up is never cached.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  sed -n '13,22p' "$0" | sed 's/^# \{0,1\}//'
}

setup_only=0
drop=""
keep=0
out="$REPO/artifacts/fresh-check"
while [ $# -gt 0 ]; do
  case "$1" in
    --setup-only) setup_only=1 ;;
    --drop)
      [ $# -ge 2 ] || { usage >&2; exit 2; }
      drop=$2
      shift
      ;;
    --keep) keep=1 ;;
    --out)
      [ $# -ge 2 ] || { usage >&2; exit 2; }
      out=$2
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "fresh-check: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$drop" ] && ! bash "$REPO/scripts/setup.sh" --list | awk '{print $1}' | grep -qx -- "$drop"; then
  echo "fresh-check: --drop $drop: not a package of scripts/debian-packages.txt" >&2
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "fresh-check: must run as root (it builds and enters a Debian root)" >&2
  exit 1
fi
if ! git -C "$REPO" rev-parse --verify -q HEAD >/dev/null; then
  echo "fresh-check: $REPO is not a git clone with a commit" >&2
  exit 1
fi
if ! command -v mmdebstrap >/dev/null; then
  echo "fresh-check: installing mmdebstrap (builds the clean root)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
fi

SUITE=bookworm
VARIANT=minbase
# What a newcomer has before the two commands: a minimal Debian and make (git
# cloned the tree; here the tree is copied in instead).
INCLUDE=make
CACHE=/var/cache/huimin-fresh-check
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The same Debian mirror as this machine's apt: its active sources that carry bookworm.
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && grep -qE "^[^#]*\b$SUITE\b|^Suites:.*\b$SUITE\b" "$f" && sources+=("$f")
done
if [ ${#sources[@]} -eq 0 ]; then
  echo "fresh-check: no apt source for $SUITE in /etc/apt/sources.list(.d)" >&2
  exit 1
fi

log() { printf 'fresh-check: %s\n' "$*"; }

# --- the cached minbase tarball ---------------------------------------------------
key=$( (echo "$SUITE $VARIANT $INCLUDE"; cat "${sources[@]}") | sha256sum | cut -c1-12)
tarball="$CACHE/$SUITE-$VARIANT-$(date -u +%Y%m%d)-$key.tar"
mkdir -p "$CACHE"
if [ ! -f "$tarball" ]; then
  log "building a $VARIANT $SUITE root with mmdebstrap (cached for today in $CACHE)"
  start=$(date +%s)
  part="$CACHE/.building.$$"
  if ! mmdebstrap --quiet --format=tar --variant="$VARIANT" --include="$INCLUDE" "$SUITE" \
    "$part" "${sources[@]}"; then
    rm -f "$part"
    echo "fresh-check: mmdebstrap failed" >&2
    exit 1
  fi
  mv "$part" "$tarball"
  find "$CACHE" -maxdepth 1 -name "$SUITE-$VARIANT-*.tar" ! -path "$tarball" -delete
  log "built in $(($(date +%s) - start)) s"
else
  log "using the cached Debian root $tarball"
fi

# --- the work area, removed on any exit --------------------------------------------
work=$(mktemp -d /var/tmp/huimin-fresh-check.XXXXXX)
root="$work/root"
runner_pid=""
tail_pid=""
cleanup() {
  local rc=$?
  if [ -n "$runner_pid" ] && kill -0 "$runner_pid" 2>/dev/null; then
    kill "$runner_pid" 2>/dev/null || true # unshare --kill-child takes the namespace with it
    wait "$runner_pid" 2>/dev/null || true
  fi
  if [ -n "$tail_pid" ]; then
    kill "$tail_pid" 2>/dev/null || true
  fi
  # Mounts live in the steps' private namespaces; nothing should be left, but never
  # delete through a mount.
  if findmnt -rn -o TARGET | grep -q "^$work"; then
    log "a mount under $work outlived its namespace; leaving $work in place" >&2
  elif [ $keep -eq 1 ]; then
    log "the root is kept at $root"
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$root"
tar -xf "$tarball" -C "$root"

# The machine's network as a newcomer's machine here has it: name resolution, and
# the TLS trust that pip is told to use (PIP_CERT), copied to the same path.
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ ! -e "$root/etc/hosts" ]; then # as the Debian installer writes it
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
    "$(cat "$root/etc/hostname")" >"$root/etc/hosts"
fi
pass_env=()
for name in PIP_INDEX_URL PIP_DEFAULT_TIMEOUT http_proxy https_proxy; do
  [ -n "${!name:-}" ] && pass_env+=("$name=${!name}")
done
pip_cert=${PIP_CERT:-}
if [ -z "$pip_cert" ] && command -v python3 >/dev/null; then
  pip_cert=$(python3 -m pip config list 2>/dev/null | sed -n "s/^global\.cert='\(.*\)'\$/\1/p" | head -n 1)
fi
if [ -n "$pip_cert" ] && [ -f "$pip_cert" ]; then
  mkdir -p "$root$(dirname "$pip_cert")"
  cp "$pip_cert" "$root$pip_cert"
  pass_env+=("PIP_CERT=$pip_cert")
fi
# The machine's own CAs too, so that the bundle keeps them when the set-up pulls in
# ca-certificates (update-ca-certificates adds /usr/local/share/ca-certificates).
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
# As on this machine and in any chroot: installing a package starts no daemon (the
# tests start their own pcscd and PostgreSQL; udev says it won't run in a chroot).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

mkdir -p "$root/root/huimin"
git -C "$REPO" archive --format=tar HEAD | tar -x -C "$root/root/huimin"
commit=$(git -C "$REPO" rev-parse --short HEAD)
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Runs one shell command in /root/huimin inside the root, as root, in fresh mount
# and PID namespaces (and a network namespace with only loopback for "private").
# The root itself, /proc, /sys, a minimal /dev with its own ptys, /dev/shm and /run
# are mounted there, as on a booted machine.
# Bash is PID 1 of the namespace, reaping orphans (a daemonised PostgreSQL); when it
# exits, the kernel ends whatever is left.
INNER='
set -euo pipefail
root=$1 net=$2 cmd=$3
shift 3
if [ "$net" = private ]; then ip link set lo up; fi
# The root becomes a mount point, as / is on a machine (unshare --propagation needs it).
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs -o mode=0755,size=16m dev "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t tmpfs -o mode=0755 run "$root/run"
chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
  PATH="$CHROOT_PATH" LANG=C.UTF-8 TERM=dumb "$@" \
  /bin/bash -c "cd /root/huimin && $cmd" </dev/null &
wait $!
'
in_root() { # NET ("host" or "private") LOG COMMAND
  local net=$1 logfile=$2 cmd=$3 args=(--mount --propagation private --pid --fork --kill-child)
  [ "$net" = private ] && args+=(--net)
  : >"$logfile"
  CHROOT_PATH=$CHROOT_PATH unshare "${args[@]}" bash -c "$INNER" inner "$root" "$net" "$cmd" \
    "${pass_env[@]}" >"$logfile" 2>&1 &
  runner_pid=$!
  # Shown as it happens; tail ends (after the last lines) once the runner has.
  tail -n +1 -f --pid="$runner_pid" "$logfile" &
  tail_pid=$!
  local rc=0
  wait "$runner_pid" || rc=$?
  wait "$tail_pid" || true
  runner_pid=""
  tail_pid=""
  return $rc
}

failed=0
timings=()
step() { # NAME NET COMMAND: runs it, records seconds and status
  local name=$1 net=$2 cmd=$3 start rc=0
  log "[$name] $cmd   (network: $net; log: $out/$name.log)"
  start=$(date +%s)
  in_root "$net" "$out/$name.log" "$cmd" || rc=$?
  local seconds=$(($(date +%s) - start))
  if [ $rc -eq 0 ]; then
    timings+=("$(printf '%-8s %5d s   ok' "$name" "$seconds")")
  else
    timings+=("$(printf '%-8s %5d s   FAILED (exit %d)' "$name" "$seconds" "$rc")")
    failed=1
  fi
  return $rc
}

log "Debian $SUITE $VARIANT root in $root; clone at commit $commit copied to /root/huimin"
if step setup host "make setup && bash scripts/setup.sh --check && echo 'fresh-check: every listed command and file is present'"; then
  if [ -n "$drop" ]; then
    step drop host "dpkg --purge --force-depends --force-remove-essential $drop && echo 'removed $drop' &&
      if bash scripts/setup.sh --check; then echo 'fresh-check: the check passed without $drop' >&2; exit 1; fi" || true
    if [ $failed -eq 0 ] && grep -q "Debian package $drop " "$out/drop.log"; then
      log "without $drop, the set-up's check failed naming it"
    else
      log "without $drop, the set-up's check did not fail naming it" >&2
      failed=1
    fi
    step reinstall host "bash scripts/setup.sh && echo 'fresh-check: the set-up installed $drop again'" || true
  elif [ $setup_only -eq 0 ]; then
    step test private "make test" || true
    rm -rf "$root/root/huimin/artifacts/demo"
    if step demo private "make demo HEADLESS=1"; then
      shots=$(find "$root/root/huimin/artifacts/demo" -name '*.png' | wc -l)
      if [ "$shots" -gt 0 ] && [ -f "$root/root/huimin/artifacts/demo/receipt-standard.png" ]; then
        mkdir -p "$out/demo"
        cp "$root"/root/huimin/artifacts/demo/*.png "$out/demo/"
        log "the demo wrote $shots screenshots (copied to $out/demo)"
      else
        log "make demo HEADLESS=1 exited 0 but wrote no screenshots" >&2
        failed=1
      fi
    fi
  fi
fi

log "timings (commit $commit, Debian $SUITE $VARIANT, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '  %s\n' "${timings[@]}"
if [ $failed -ne 0 ]; then
  log "FAILED"
  exit 1
fi
log "passed"
