package cluster

// The command lines of the cluster's daemons. "podlab up" starts them
// with these flags, and the Vagrant cluster's systemd units run them with
// the very same (see Units): one code path, so the local cluster and the
// VMs cannot drift apart.

// ServerFlags are the flags of podlab-server.
type ServerFlags struct {
	DataDir       string // --data-dir: etcd's data, admin.conf
	Listen        string // --listen: the API's address and port, like 172.30.0.1:6443
	TokenFile     string // --token-file: the tokens it accepts
	PodCIDR       string // --pod-cidr: the node IPAM controller's range, a /24 per node
	EtcdClientURL string // --etcd-client-url
	EtcdPeerURL   string // --etcd-peer-url
}

// Args is the command line of podlab-server, without the program.
func (f ServerFlags) Args() []string {
	return []string{
		"--data-dir", f.DataDir,
		"--listen", f.Listen,
		"--token-file", f.TokenFile,
		"--pod-cidr", f.PodCIDR,
		"--etcd-client-url", f.EtcdClientURL,
		"--etcd-peer-url", f.EtcdPeerURL,
	}
}

// PodletFlags are the flags of a podlet.
type PodletFlags struct {
	NodeName    string // --node-name
	NodeIP      string // --node-ip: the address other nodes reach it at, never guessed
	Server      string // --server: the API server's URL
	TokenFile   string // --token-file: the node's bearer token
	StateDir    string // --state-dir: its pods, containers and pod IPs
	Backend     string // --backend: the overlay, vxlan or host-gw
	ClusterCIDR string // --cluster-cidr: every pod's range, not masqueraded between pods
}

// Args is the command line of a podlet, without the program.
func (f PodletFlags) Args() []string {
	return []string{
		"--node-name", f.NodeName,
		"--node-ip", f.NodeIP,
		"--server", f.Server,
		"--token-file", f.TokenFile,
		"--state-dir", f.StateDir,
		"--backend", f.Backend,
		"--cluster-cidr", f.ClusterCIDR,
	}
}
