#!/usr/bin/env bash
# Runs inside the image's root (image/build.sh), after systemd/install.sh installed the
# kiosk as on any Debian box: what makes that box a terminal. The files it relies on
# are image/rootfs/ (copied in before install.sh ran).
set -euo pipefail

note() { printf 'configure: %s\n' "$*"; }

# --- the configuration comes from provisioning -------------------------------------
# The root is read-only: /etc/huimin/kiosk.toml points to the data partition, where
# kiosk/provisioning writes it (until then the link dangles and huimin-setup.service
# shows what to do). install.sh copied the production example there: the example stays
# in /opt/huimin/config, the link replaces it.
rm -f /etc/huimin/kiosk.toml
ln -s /var/lib/huimin-config/kiosk.toml /etc/huimin/kiosk.toml
install -d -m 0750 -o root -g huimin /var/lib/huimin-config
install -d -m 0700 -o root -g root /var/lib/huimin-ssh

# --- no login on any console --------------------------------------------------------
# Gettys on every VT and serial line, the emergency and rescue shells (they ask for
# the root password, which is locked, but a shell must not even be offered), the
# debug shell, Ctrl-Alt-Del, and the first-boot prompts on the console.
systemctl mask getty@.service serial-getty@.service autovt@.service console-getty.service \
  container-getty@.service emergency.service rescue.service debug-shell.service \
  ctrl-alt-del.target systemd-firstboot.service
passwd --lock root >/dev/null

# --- units --------------------------------------------------------------------------
systemctl enable systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
  usbguard.service huimin-setup.service huimin-forget-code.path
# Nothing waits for the network (the kiosk shows "out of service" and retries), and no
# D-Bus front end of usbguard is needed.
systemctl disable systemd-networkd-wait-online.service usbguard-dbus.service
systemctl mask usbguard-dbus.service
# Package maintenance on a read-only root: nothing to do.
systemctl mask apt-daily.timer apt-daily-upgrade.timer apt-daily.service \
  apt-daily-upgrade.service dpkg-db-backup.timer dpkg-db-backup.service e2scrub_all.timer \
  e2scrub_reap.service
# /etc/machine-id is a bind mount of /var/lib/machine-id (the initrd): nothing to commit.
systemctl mask systemd-machine-id-commit.service

# --- identity: none in the image -------------------------------------------------------
# An empty machine-id: the initrd bind-mounts the terminal's own over it.
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
ln -s /etc/machine-id /var/lib/dbus/machine-id
# No SSH host keys (every terminal would share them): sshd makes its own.
rm -f /etc/ssh/ssh_host_*
# usbguard's package generated a policy from the build machine's USB devices.
rm -f /etc/usbguard/rules.conf
chmod 0600 /etc/usbguard/usbguard-daemon.conf /etc/usbguard/rules.d/*.conf
echo huimin >/etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\thuimin\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
  >/etc/hosts

# --- read-only /etc ---------------------------------------------------------------------
ln -sf ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf
ln -sf /usr/share/zoneinfo/Asia/Shanghai /etc/localtime
echo Asia/Shanghai >/etc/timezone
# The login session's locale (pam_env reads it): UTF-8 for Chinese text everywhere.
echo LANG=C.UTF-8 >/etc/default/locale

# --- caches built once, here -----------------------------------------------------------
# The font cache (the kiosk's fc-match at every start) and udev's hardware database.
fc-cache -s >/dev/null
systemd-hwdb update
# The journal's directory with its ACLs and group, as systemd-tmpfiles makes it.
mkdir -p /var/log/journal
systemd-tmpfiles --create --prefix /var/log/journal >/dev/null 2>&1 || true
install -d -m 0700 /var/log/usbguard

# --- nothing left from the build -------------------------------------------------------
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/*.log /var/log/apt/* \
  /root/.cache 2>/dev/null || true
# /etc and /var are "up to date" with /usr (newer than it): systemd-sysusers
# (ConditionNeedsUpdate=/etc) would otherwise run at every boot against a read-only /etc.
touch /etc/.updated /var/.updated
note "done"
