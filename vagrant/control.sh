#!/usr/bin/env bash
# Provisioning of the control-plane VM, as root, after common.sh:
# podlab-server under systemd, listening on the host-only address, with
# the cluster's tokens from the host ("make vagrant"). Its unit is what
# "podlab systemd-unit server" prints: the flags "podlab up" gives it.
set -euo pipefail

# The Vagrantfile's variables, checked, and say and fail (vagrant/lib.sh).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PODLAB_LIB:?}"

# Every user's token: admin, and system:node:<node> for each node.
install -D -m 0600 "$PODLAB_OUT/tokens/tokens.csv" /etc/podlab/tokens.csv
say "tokens: /etc/podlab/tokens.csv, for $(awk -F, '!/^#/ { printf "%s ", $2 }' /etc/podlab/tokens.csv)"

unit=/etc/systemd/system/podlab-server.service
podlab systemd-unit server --listen "$PODLAB_IP:6443" >"$unit.new"
mv "$unit.new" "$unit"
systemctl daemon-reload
systemctl enable --quiet podlab-server.service
# A restart picks up new binaries, tokens and flags; the API is back in
# seconds, and etcd's data in /var/lib/podlab/server stays.
systemctl restart podlab-server.service

for _ in $(seq 60); do
	if curl -fsS --noproxy '*' "$PODLAB_SERVER/healthz" >/dev/null 2>&1; then
		say "podlab-server is healthy at $PODLAB_SERVER ($(systemctl show -p MainPID --value podlab-server.service) is its pid; journalctl -u podlab-server shows its log)"
		lab00-preflight --auto --no-color
		exit 0
	fi
	sleep 1
done
journalctl -u podlab-server.service -n 20 --no-pager >&2 || true
fail "podlab-server is not healthy at $PODLAB_SERVER/healthz after 60 s: its log is above"
