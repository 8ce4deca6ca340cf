#!/usr/bin/env bash
# Provisioning of a node VM, as root, after common.sh: the podlet under
# systemd, in the VM's own network namespace, with --node-ip the
# host-only address and the node's token from the host ("make vagrant").
# Its unit is what "podlab systemd-unit podlet" prints: the flags "podlab
# up" gives a podlet. Then it waits until the node is Ready.
set -euo pipefail

# The Vagrantfile's variables, checked, and say and fail (vagrant/lib.sh).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PODLAB_LIB:?}"

token="$PODLAB_OUT/tokens/$PODLAB_NODE.token"
if [ ! -f "$token" ]; then
	fail "no token for $PODLAB_NODE in $PODLAB_OUT/tokens: run \"PODLAB_NODES=<as many> make vagrant\" on the host, then \"vagrant provision control\" (podlab-server learns the new token) and \"vagrant provision $PODLAB_NODE\""
fi
install -D -m 0600 "$token" /etc/podlab/node.token

unit=/etc/systemd/system/podlet.service
podlab systemd-unit podlet --node-name "$PODLAB_NODE" --node-ip "$PODLAB_IP" --server "$PODLAB_SERVER" >"$unit.new"
mv "$unit.new" "$unit"
systemctl daemon-reload
systemctl enable --quiet podlet.service
# A restart picks up a new binary or flags; the pods keep running
# (KillMode=process) and the new podlet adopts them.
systemctl restart podlet.service

# Until the node is Ready: with libvirt the VMs come up side by side, and
# control may still be installing podlab-server; the podlet retries.
for _ in $(seq 300); do
	status=$(podlab get node "$PODLAB_NODE" 2>/dev/null | awk 'NR == 2 { print $2 }') || true
	if [ "$status" = Ready ]; then
		say "node $PODLAB_NODE is Ready at $PODLAB_IP (journalctl -u podlet shows the podlet's log)"
		lab00-preflight --auto --no-color
		exit 0
	fi
	sleep 2
done
journalctl -u podlet.service -n 20 --no-pager >&2 || true
fail "node $PODLAB_NODE is not Ready after 10 minutes (status ${status:-unknown}): the podlet's log is above; is control up (vagrant up control)?"
