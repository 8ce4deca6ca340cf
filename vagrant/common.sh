#!/usr/bin/env bash
# Provisioning of every VM, as root: the OS packages and kernel modules
# podlab needs, the podlab binaries, the images, and the client config of
# podlab and checker. The Vagrantfile runs it, then control.sh or node.sh,
# which end with lab 00's preflight. Running it again is harmless
# (vagrant provision).
#
# From the Vagrantfile: PODLAB_OUT (what "make vagrant" made on the host,
# seen through /vagrant), PODLAB_LIB (vagrant/lib.sh, seen the same way),
# PODLAB_NODE (control, node1, ...), PODLAB_IP (its host-only address),
# PODLAB_SERVER (the API server's URL).
set -euo pipefail

# The Vagrantfile's variables, checked, and say and fail (vagrant/lib.sh).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PODLAB_LIB:?}"

if [ ! -x "$PODLAB_OUT/bin/podlab" ]; then
	fail "no podlab binaries in $PODLAB_OUT/bin: run \"make vagrant\" on the host, then \"vagrant provision\" (with libvirt: \"vagrant rsync\" first)"
fi

# The node's IP must be on an interface of this VM: the host-only one,
# which the Vagrantfile's private_network made. The NAT one (10.0.2.15 on
# every VirtualBox VM) would not reach the other VMs.
if ! ip -4 -o addr show | grep -qF " inet $PODLAB_IP/"; then
	fail "$PODLAB_IP is on no interface of this VM: the host-only network did not come up (ip -4 addr shows what is there)"
fi

# The Makefile's PACKAGES (make deps), and curl for the health checks.
packages=(busybox-static iproute2 iptables kmod curl)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	say "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Kernel modules: overlayfs (images), veth and bridge (pod network), vxlan
# (the overlay of lab 08), br_netfilter (bridged pod traffic through
# iptables, for Services). Loaded now and at every boot.
modules=(overlay veth bridge vxlan br_netfilter)
printf '%s\n' "# podlab: loaded at boot (vagrant/common.sh)" "${modules[@]}" >/etc/modules-load.d/podlab.conf
for m in "${modules[@]}"; do
	if ! modprobe "$m" 2>/dev/null; then
		# Some Ubuntu kernels keep a few modules in linux-modules-extra.
		say "modprobe $m failed: installing linux-modules-extra-$(uname -r)"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "linux-modules-extra-$(uname -r)" >/dev/null
		modprobe "$m" || fail "modprobe $m: the kernel $(uname -r) has no $m; lab00-preflight says more"
	fi
done

# The binaries, all in one directory: podlab finds podlet and
# podlab-server next to itself, containers find pause there. install
# replaces a running binary without "text file busy".
for f in "$PODLAB_OUT"/bin/*; do
	[ -f "$f" ] && install -m 0755 "$f" /usr/local/bin/
done
say "binaries in /usr/local/bin: $(cd "$PODLAB_OUT/bin" && find . -maxdepth 1 -type f -printf '%f ')"
/usr/local/bin/podlab completion bash >/etc/bash_completion.d/podlab

# The client config of podlab and checker, for root (sudo) and for the
# vagrant user: the API server on control and the admin token.
[ -f "$PODLAB_OUT/tokens/admin.conf" ] || fail "no $PODLAB_OUT/tokens/admin.conf: run \"make vagrant\" on the host"
if ! grep -qxF "server: $PODLAB_SERVER" "$PODLAB_OUT/tokens/admin.conf"; then
	fail "$PODLAB_OUT/tokens was made for another API server than $PODLAB_SERVER: run \"make vagrant\" with the PODLAB_NETWORK of the Vagrantfile"
fi
install -D -m 0600 "$PODLAB_OUT/tokens/admin.conf" /root/.podlab/config
install -D -m 0600 -o vagrant -g vagrant "$PODLAB_OUT/tokens/admin.conf" /home/vagrant/.podlab/config
chown vagrant:vagrant /home/vagrant/.podlab

# The images every lab and every pod starts from: the busybox base (lab
# 00 builds it too) and one per app. Only the missing ones: an image in
# use by a container cannot be built again.
images=$(podlab image ls | awk 'NR > 1 { print $1 }')
build() {
	grep -qxF "$1:latest" <<<"$images" || podlab image build "${@:2}" "$1"
}
build busybox
for app in "$PODLAB_OUT"/bin/apps/*; do
	[ -f "$app" ] || continue
	build "$(basename "$app")" --binary "$app"
done
