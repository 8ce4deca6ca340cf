#!/bin/sh
# vagrant/tokens.sh DIR NODES SERVER, run on the host by "make vagrant":
# the bearer tokens of the Vagrant cluster, made once and kept, so that
# every VM gets its own from the host through /vagrant (no VM has to
# reach another for a secret):
#
#   DIR/tokens.csv   podlab-server --token-file on control: token,user,uid
#                    for admin and system:node:node1 .. nodeNODES
#   DIR/nodeI.token  podlet --token-file on nodeI: its token alone
#   DIR/admin.conf   the client config of podlab and checker on every VM:
#                    SERVER and the admin token
#
# The format is podlab up's (core/cluster/tokens.go) and core/client's
# config file. Tokens already in DIR/tokens.csv stay: a running cluster
# keeps working; a node added later (a larger NODES) gets a new one.
# Plain POSIX sh: the host may be a Mac.
set -eu

if [ $# -ne 3 ]; then
	echo "usage: $0 DIR NODES SERVER, like: $0 vagrant/out/tokens 2 http://192.168.56.10:6443" >&2
	exit 2
fi
dir=$1 nodes=$2 server=$3
case $nodes in
'' | *[!0-9]*)
	echo "$0: NODES \"$nodes\": want a whole number, like 2" >&2
	exit 2
	;;
esac

umask 077
mkdir -p "$dir"

# token USER prints the token USER has in tokens.csv, or a new one: 32
# random bytes in hex, as podlab up makes them.
token() {
	t=
	[ ! -f "$dir/tokens.csv" ] || t=$(awk -F, -v u="$1" '!/^#/ && $2 == u { print $1; exit }' "$dir/tokens.csv")
	[ -n "$t" ] || t=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	echo "$t"
}

admin=$(token admin)
{
	echo "# podlab cluster tokens, podlab-server --token-file: token,user,uid"
	echo "$admin,admin,admin"
	i=1
	while [ "$i" -le "$nodes" ]; do
		t=$(token "system:node:node$i")
		echo "$t,system:node:node$i,node$i"
		echo "$t" >"$dir/node$i.token.new"
		mv "$dir/node$i.token.new" "$dir/node$i.token"
		i=$((i + 1))
	done
} >"$dir/tokens.csv.new"
mv "$dir/tokens.csv.new" "$dir/tokens.csv"

# The nodes of a larger cluster before: their tokens are gone.
for f in "$dir"/node*.token; do
	[ -f "$f" ] || continue
	n=${f##*/node}
	n=${n%.token}
	case $n in *[!0-9]*) continue ;; esac
	[ "$n" -le "$nodes" ] || rm -f "$f"
done

printf '# written by podlab (vagrant/tokens.sh): where the API server is, and the token to use\nserver: %s\ntoken: %s\n' \
	"$server" "$admin" >"$dir/admin.conf.new"
mv "$dir/admin.conf.new" "$dir/admin.conf"
echo "tokens: $dir/tokens.csv (admin, node1 .. node$nodes), $dir/node*.token, $dir/admin.conf for $server"
