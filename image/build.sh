#!/usr/bin/env bash
# make image: a bootable disk image of a Huimin terminal, built from Debian 12 packages.
#
#   image/build.sh            build (or reuse) the image of this checkout; prints its path
#   image/build.sh --path     print where the image of this checkout is (or would be); build nothing
#   image/build.sh --force    build again even when the cache has it
#
# Two maintained tools do the work: mmdebstrap installs the packages of
# image/packages.txt into a Debian root (the tool make fresh-check already uses), and
# systemd-repart lays the partitions out in a GPT disk image. Between them, this
# script runs systemd/install.sh inside the root (the units, udev rules, user and
# /opt/huimin with its virtualenv, exactly as on any Debian box) and then
# image/configure.sh (what makes the box a terminal: read-only root, no console
# login, USB policy, provisioning). The disk it writes:
#
#   1 ESP          FAT32   systemd-boot, the kernel and the initrd
#   2 HUIMIN-PROV  FAT     the provisioning partition: a file put here provisions the terminal
#   3 huimin-root  EROFS   the whole OS and app, read-only by construction (LZ4HC compressed)
#   4 huimin-data  ext4    /var: journal, credential, caches, logs; grown to fill the disk
#                          at first boot and mounted by the initrd
#
# Cached outside the checkout (HUIMIN_IMAGE_CACHE, default /var/cache/huimin-image),
# keyed by its inputs, so an unchanged checkout rebuilds nothing:
#   base-<key>.tar     the Debian root (packages + initrd); key: image/packages.txt,
#                      image/initramfs/, the mirror, and the ISO week (security updates
#                      enter within a week)
#   wheels-<key>/      the wheels of requirements.txt (pyscard built here, so the image
#                      needs no compiler); key: requirements.txt and the Python version
#   images/<key>/      huimin.img, its .bmap, manifest.txt (the image's packages) and
#                      build.json (sizes, timings); key: the two above, image/, systemd/
#                      and the app's files (install.sh's APP_ITEMS)
#   debs/              the downloaded .deb files, so that a new base downloads only what changed
# The network is used by the base (Debian's mirror, as this machine's apt) and the
# wheels (this machine's pip configuration); assembling the image runs in a network
# namespace with nothing but loopback, so nothing is fetched that the keys do not cover.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
HERE=$REPO/image
CACHE=${HUIMIN_IMAGE_CACHE:-/var/cache/huimin-image}
SUITE=bookworm
KEEP_IMAGES=3

usage() { sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//'; }

mode=build
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --path) mode=path ;;
    --force) force=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "image: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

log() { printf 'image: %s\n' "$*" >&2; }
die() { printf 'image: %s\n' "$*" >&2; exit 1; }

# Packages that must never be in a terminal: compilers and desktops.
FORBIDDEN='^(gcc|gcc-[0-9]+|g\+\+|g\+\+-[0-9]+|cpp|cpp-[0-9]+|clang|clang-[0-9]+|build-essential|libc6-dev|make|xserver-xorg|xserver-xorg-core|xinit|gnome-shell|gnome-session|plasma-desktop|xfce4|lxde|lxqt|mate-desktop|lightdm|gdm3|sddm|task-desktop)$'

# --- 1. the Debian root -------------------------------------------------------------

build_base() {
  log "building the Debian root with mmdebstrap (cached as $BASE_TAR)"
  local part="$BASE_TAR.part.$$" mirrors=()
  mapfile -t mirrors <<<"$MIRRORS"
  # Docs, manuals and translations are not read on a kiosk; copyright files stay.
  if ! mmdebstrap --verbose --logfile="$part.log" --variant=minbase --format=tar \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --include="$PACKAGES" \
    --skip=essential/unlink \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in $CACHE/debs /var/cache/apt/archives/" \
    --essential-hook="copy-in $HERE/initramfs/etc /" \
    --customize-hook="sync-out /var/cache/apt/archives $CACHE/debs" \
    --customize-hook='chroot "$1" dpkg --purge usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl perl libperl5.36 perl-modules-5.36' \
    "$SUITE" "$part" "${mirrors[@]}"; then
    tail -n 40 "$part.log" >&2
    rm -f "$part" "$part.log"
    die "mmdebstrap failed (the last lines of its log are above)"
  fi
  mv "$part" "$BASE_TAR"
  mv "$part.log" "$BASE_TAR.log"
  find "$CACHE" -maxdepth 1 -name 'base-*.tar*' ! -path "$BASE_TAR*" -mtime +14 -delete
}

# --- 2. the wheels --------------------------------------------------------------------

build_wheels() {
  log "building the wheels of requirements.txt with $("$HOST_PY" -V) (cached in $WHEELS)"
  local tmp
  tmp=$(mktemp -d /var/tmp/huimin-wheels.XXXXXX)
  "$HOST_PY" -m venv "$tmp/venv"
  # This machine's pip configuration (index, CA) is used as it is.
  if ! "$tmp/venv/bin/pip" wheel --quiet --no-input -r "$REPO/requirements.txt" -w "$tmp/wheels"; then
    rm -rf "$tmp"
    die "pip wheel failed"
  fi
  rm -rf "$WHEELS"
  mv "$tmp/wheels" "$WHEELS"
  rm -rf "$tmp"
}

# --- inputs and keys ----------------------------------------------------------------

sha() { sha256sum | cut -c1-16; }

# The Debian mirror this machine's apt uses (its active bookworm sources), as one-line
# sources for mmdebstrap, with non-free-firmware added (GPU and network firmware).
mirror_lines() {
  python3 - "$SUITE" <<'EOF'
import glob, re, sys
suite = sys.argv[1]
lines = []
def add(uri, suites):
    for s in suites:
        if s == suite or s.startswith(suite + "-") or s.startswith(suite + "/"):
            line = f"deb {uri} {s} main non-free-firmware"
            if line not in lines:
                lines.append(line)
for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        continue
    for raw in text.splitlines():
        parts = re.sub(r"\[[^]]*\]", "", raw.split("#")[0]).split()
        if len(parts) >= 3 and parts[0] == "deb":
            add(parts[1], [parts[2]])
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path, encoding="utf-8").read().split("\n\n"):
        fields = {}
        for raw in stanza.splitlines():
            if raw.startswith("#") or ":" not in raw:
                continue
            key, _, value = raw.partition(":")
            fields[key.strip().lower()] = value.split()
        if "deb" in fields.get("types", []) and fields.get("enabled", ["yes"]) != ["no"]:
            for uri in fields.get("uris", []):
                add(uri, fields.get("suites", []))
print("\n".join(lines))
EOF
}

# Files of the checkout under the given paths (tracked or new, never ignored ones), NUL-separated.
tree_files() { git -C "$REPO" ls-files -z --cached --others --exclude-standard -- "$@"; }
hash_files() { (cd "$REPO" && tree_files "$@" | sort -z | xargs -0 -r sha256sum) | sha; }

# What systemd/install.sh copies to /opt/huimin (its APP_ITEMS), read from the script.
mapfile -t APP_ITEMS < <(sed -n '/^APP_ITEMS=(/,/)/p' "$REPO/systemd/install.sh" |
  sed 's/APP_ITEMS=(//; s/)//' | tr -s ' \n' '\n' | sed '/^$/d')
[ ${#APP_ITEMS[@]} -gt 0 ] || die "cannot read APP_ITEMS from systemd/install.sh"

MIRRORS=$(mirror_lines)
[ -n "$MIRRORS" ] || die "no apt source for $SUITE in /etc/apt/sources.list(.d)"
PACKAGES=$(sed 's/#.*//' "$HERE/packages.txt" | cut -d'|' -f1 | tr -d ' ' | sed '/^$/d' | paste -sd, -)
WEEK=$(date -u +%G-W%V)
BASE_KEY=$( (cat "$HERE/packages.txt"; echo "$MIRRORS"; echo "$WEEK"; hash_files image/initramfs
  declare -f build_base) | sha)
HOST_PY=/usr/bin/python3
WHEELS_KEY=$( (cat "$REPO/requirements.txt"; "$HOST_PY" -VV) | sha)
IMAGE_KEY=$( (echo "$BASE_KEY $WHEELS_KEY"; hash_files image systemd "${APP_ITEMS[@]}") | sha)

BASE_TAR=$CACHE/base-$BASE_KEY.tar
WHEELS=$CACHE/wheels-$WHEELS_KEY
OUT=$CACHE/images/$IMAGE_KEY
IMAGE=$OUT/huimin.img

if [ "$mode" = path ]; then
  echo "$IMAGE"
  exit 0
fi
if [ -f "$IMAGE" ] && [ -f "$OUT/build.json" ] && [ $force -eq 0 ]; then
  log "cached: nothing changed since it was built ($OUT)"
  echo "$IMAGE"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap and the chroot)"
for tool in mmdebstrap systemd-repart mkfs.erofs mkfs.fat mcopy mkfs.ext4 bmaptool unshare; do
  command -v "$tool" >/dev/null || die "$tool not found: run scripts/setup.sh (scripts/debian-packages.txt)"
done
BOOT_EFI=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[ -f "$BOOT_EFI" ] || die "$BOOT_EFI not found (Debian package systemd-boot-efi): run scripts/setup.sh"

mkdir -p "$CACHE/debs" "$CACHE/images"
started=$(date +%s)
declare -A SECONDS_OF=()
timed() { # NAME COMMAND...: runs it and records how long it took
  local name=$1 start
  shift
  start=$(date +%s)
  "$@"
  SECONDS_OF[$name]=$(($(date +%s) - start))
}

[ -f "$BASE_TAR" ] || timed base build_base
[ -d "$WHEELS" ] || timed wheels build_wheels

# --- 3. the terminal: install.sh and configure.sh in the root -------------------------

WORK=$(mktemp -d /var/tmp/huimin-image.XXXXXX)
ROOT=$WORK/root
runner=""
cleanup() {
  local rc=$?
  [ -n "$runner" ] && kill "$runner" 2>/dev/null
  if findmnt -rn -o TARGET | grep -q "^$WORK"; then
    log "a mount under $WORK outlived its namespace; leaving $WORK in place"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs COMMAND inside the root as root: fresh mount, PID and network namespaces (only
# loopback: nothing is downloaded here), with /proc, a minimal /dev and tmpfs /run.
# No /sys: udevadm in install.sh must not trigger events on the build machine.
in_root() {
  unshare --mount --propagation private --pid --net --fork --kill-child bash -c '
    set -e
    root=$1; shift
    ip link set lo up 2>/dev/null || true
    mount -t proc proc "$root/proc"
    mount -t tmpfs -o mode=0755,size=16m dev "$root/dev"
    for node in null zero full random urandom tty; do
      touch "$root/dev/$node"
      mount --bind "/dev/$node" "$root/dev/$node"
    done
    mkdir -p "$root/dev/shm" "$root/dev/pts"
    mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
    ln -s /proc/self/fd "$root/dev/fd"
    mount -t tmpfs -o mode=0755 run "$root/run"
    exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
  ' in_root "$ROOT" "$@" &
  runner=$!
  local rc=0
  wait "$runner" || rc=$?
  runner=""
  return $rc
}

assemble_root() {
  mkdir "$ROOT"
  tar -xf "$BASE_TAR" -C "$ROOT"
  # The recipe's files (units, configuration), then the app's source and the wheels.
  (cd "$HERE/rootfs" && tar -c --owner=0 --group=0 .) | tar -x -C "$ROOT"
  mkdir -p "$ROOT/tmp/huimin-src" "$ROOT/tmp/wheels"
  (cd "$REPO" && tree_files image systemd "${APP_ITEMS[@]}" | tar --null -T - -c) |
    tar -x -C "$ROOT/tmp/huimin-src"
  cp "$WHEELS"/*.whl "$ROOT/tmp/wheels/"
  # install.sh as on any Debian box; pip takes the wheels only (no index).
  in_root env PIP_NO_INDEX=1 PIP_FIND_LINKS=/tmp/wheels PIP_DISABLE_PIP_VERSION_CHECK=1 \
    bash /tmp/huimin-src/systemd/install.sh
  in_root bash /tmp/huimin-src/image/configure.sh
  rm -rf "$ROOT/tmp/huimin-src" "$ROOT/tmp/wheels"
}
timed root assemble_root

# What is in the image, and what must not be.
chroot "$ROOT" dpkg-query -W -f='${Package} ${Version}\n' >"$WORK/manifest.txt"
if bad=$(cut -d' ' -f1 "$WORK/manifest.txt" | grep -E "$FORBIDDEN"); then
  die "the image would contain $(echo "$bad" | paste -sd' ' -): no compilers or desktops on a terminal"
fi

# --- 4. the partitions ------------------------------------------------------------------

KERNEL_VERSION=$(ls "$ROOT/lib/modules" | sort -V | tail -n 1)
[ -f "$ROOT/boot/initrd.img-$KERNEL_VERSION" ] || die "no initrd for kernel $KERNEL_VERSION"

make_partitions() {
  local esp=$WORK/esp data=$WORK/data
  # ESP: systemd-boot at the removable-media path (firmware boots it with no NVRAM
  # entry: a dd-written disk boots as it is), its configuration, the kernel and initrd.
  mkdir -p "$esp/EFI/BOOT" "$esp/huimin"
  cp "$BOOT_EFI" "$esp/EFI/BOOT/BOOTX64.EFI"
  cp -r "$HERE/esp/loader" "$esp/"
  cp "$ROOT/boot/vmlinuz-$KERNEL_VERSION" "$esp/huimin/vmlinuz"
  cp "$ROOT/boot/initrd.img-$KERNEL_VERSION" "$esp/huimin/initrd.img"
  rm -rf "${ROOT:?}/boot/"*
  mkfs.fat -F 32 -n ESP -C "$WORK/esp.vfat" $((128 * 1024)) >/dev/null
  MTOOLS_SKIP_CHECK=1 mcopy -s -i "$WORK/esp.vfat" "$esp"/* ::/

  # The provisioning partition: a README and an example to copy and fill in.
  mkfs.fat -n HUIMIN-PROV -C "$WORK/prov.vfat" $((8 * 1024)) >/dev/null
  MTOOLS_SKIP_CHECK=1 mcopy -i "$WORK/prov.vfat" "$HERE"/provisioning/* ::/

  # /var moves to the data partition; the root keeps the empty mount point.
  mkdir "$data"
  (cd "$ROOT/var" && tar -c .) | tar -x -C "$data"
  find "$ROOT/var" -mindepth 1 -delete
  mkfs.ext4 -q -L huimin-data -d "$data" -E lazy_itable_init=0,lazy_journal_init=0 \
    "$WORK/data.ext4" 384M

  mkfs.erofs --quiet -zlz4hc "$WORK/root.erofs" "$ROOT" >/dev/null
}
timed partitions make_partitions

assemble_disk() {
  local defs=$WORK/repart.d
  mkdir "$defs"
  # The partition files go in by block (CopyBlocks=): no loop device, no mount.
  for conf in "$HERE"/repart.d/*.conf; do
    sed "s|@WORK@|$WORK|g" "$conf" >"$defs/$(basename "$conf")"
  done
  systemd-repart --empty=create --size=auto --dry-run=no --no-pager \
    --seed="$(echo "$IMAGE_KEY" | sha256sum | cut -c1-32)" \
    --definitions="$defs" "$WORK/huimin.img" >"$WORK/repart.log"
  bmaptool -q create -o "$WORK/huimin.img.bmap" "$WORK/huimin.img"
}
timed disk assemble_disk

# --- 5. into the cache --------------------------------------------------------------------

size_of() { stat -c %s "$1"; }
total=$(($(date +%s) - started))
python3 - "$WORK" "$IMAGE_KEY" "$KERNEL_VERSION" "$total" \
  "${SECONDS_OF[base]:-0}" "${SECONDS_OF[wheels]:-0}" "${SECONDS_OF[root]:-0}" \
  "${SECONDS_OF[partitions]:-0}" "${SECONDS_OF[disk]:-0}" <<'EOF'
import json, os, sys
work, key, kernel, total, base, wheels, root, parts, disk = sys.argv[1:]
def size(name):
    return os.stat(os.path.join(work, name)).st_size
image = os.stat(os.path.join(work, "huimin.img"))
info = {
    "key": key,
    "kernel": kernel,
    "image_bytes": image.st_size,
    "image_allocated_bytes": image.st_blocks * 512,
    "partitions": {
        "esp": size("esp.vfat"),
        "provisioning": size("prov.vfat"),
        "root": size("root.erofs"),
        "data": size("data.ext4"),
    },
    "packages": sum(1 for _ in open(os.path.join(work, "manifest.txt"))),
    "seconds": {
        "total": int(total), "base": int(base), "wheels": int(wheels), "root": int(root),
        "partitions": int(parts), "disk": int(disk),
    },
}
with open(os.path.join(work, "build.json"), "w") as f:
    json.dump(info, f, indent=2)
EOF
mkdir -p "$OUT.part"
mv "$WORK/huimin.img" "$WORK/huimin.img.bmap" "$WORK/manifest.txt" "$WORK/build.json" \
  "$WORK/repart.log" "$OUT.part/"
rm -rf "$OUT"
mv "$OUT.part" "$OUT"
# Keep the newest few images.
ls -1dt "$CACHE"/images/*/ 2>/dev/null | tail -n +$((KEEP_IMAGES + 1)) | xargs -r rm -rf
log "built in ${total} s: $(numfmt --to=iec "$(size_of "$IMAGE")") image, root $(numfmt --to=iec "$(python3 -c "import json;print(json.load(open('$OUT/build.json'))['partitions']['root'])")") ($OUT)"
echo "$IMAGE"
