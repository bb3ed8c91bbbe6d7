#!/usr/bin/env bash
# Installs (or with --uninstall removes) the Start/Stop VMs scheduled-events agent as a systemd service.
#   sudo ./install.sh            install and start
#   sudo ./install.sh --uninstall stop and remove (the configuration file is kept unless --purge is given too)
# ROOT=<dir> installs under another root and skips systemctl (for packaging and tests).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${ROOT:-}"
lib="$root/usr/local/lib/ssv-events-agent"
unit="$root/etc/systemd/system/ssv-events-agent.service"
conf="$root/etc/ssv-events-agent.conf"

systemctl_() { if [ -z "$root" ]; then systemctl "$@"; fi; }

if [ "${1:-}" = "--uninstall" ]; then
  systemctl_ disable --now ssv-events-agent.service 2>/dev/null || true
  rm -f "$unit" "$lib/ssv-events-agent.sh"
  rmdir "$lib" 2>/dev/null || true
  if [ "${2:-}" = "--purge" ]; then rm -f "$conf"; rm -rf "$root/var/lib/ssv-events-agent"; fi
  systemctl_ daemon-reload
  echo "ssv-events-agent removed"
  exit 0
fi

for tool in curl jq; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install $tool first (apt-get install $tool / dnf install $tool)" >&2; exit 2; }
done
install -d "$lib" "$(dirname "$unit")"
install -m 0755 "$here/ssv-events-agent.sh" "$lib/ssv-events-agent.sh"
install -m 0644 "$here/ssv-events-agent.service" "$unit"
[ -e "$conf" ] || install -m 0600 "$here/ssv-events-agent.conf.example" "$conf"
systemctl_ daemon-reload
systemctl_ enable --now ssv-events-agent.service
echo "ssv-events-agent installed; settings in /etc/ssv-events-agent.conf, log: journalctl -t ssv-events-agent"
