# shellcheck shell=bash
# What the provisioning scripts share, sourced by common.sh, control.sh
# and node.sh: the Vagrantfile's variables, checked, and say and fail,
# which name the VM in what they print. Vagrant uploads each script alone,
# so they source this file from the repository, at PODLAB_LIB.

: "${PODLAB_OUT:?}" "${PODLAB_NODE:?}" "${PODLAB_IP:?}" "${PODLAB_SERVER:?}"

say() { printf 'podlab %s: %s\n' "$PODLAB_NODE" "$*"; }
fail() {
	printf 'podlab %s: %s\n' "$PODLAB_NODE" "$*" >&2
	exit 1
}
