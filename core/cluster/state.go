package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// State is what "podlab up" made, in <Dir>/cluster.json. Up writes it
// before it makes anything, and again after every process it starts, so
// that "podlab down" finds everything even after an up that failed half
// way.
type State struct {
	Config Config `json:"config"`
	Dir    string `json:"dir"` // the cluster's directory, Dir()

	// The underlay: the bridge on the host and its address.
	Bridge   string `json:"bridge"`
	HostAddr string `json:"hostAddr"`

	Server    Server `json:"server"`
	TokenFile string `json:"tokenFile"` // podlab-server --token-file
	Nodes     []Node `json:"nodes"`

	// ClientConfig is the config file up wrote for "podlab get" and the
	// other cluster commands, "" until it is written.
	ClientConfig string `json:"clientConfig,omitempty"`
	// MadeDirs are the directories up created that did not exist before
	// (like ~/.podlab or /run/podlab/nodes): down removes them if empty.
	MadeDirs []string `json:"madeDirs,omitempty"`
}

// Server is the control plane process.
type Server struct {
	URL     string   `json:"url"`     // http://172.30.0.1:6443
	DataDir string   `json:"dataDir"` // podlab-server --data-dir
	Log     string   `json:"log"`
	Process *Process `json:"process,omitempty"` // nil before the first start
}

// Node is one node: a network namespace on the underlay, and its podlet.
type Node struct {
	Name      string   `json:"name"`      // node1
	NetNS     string   `json:"netns"`     // podlab-node1, in /run/netns
	HostVeth  string   `json:"hostVeth"`  // podlab-n1, the host's end of its veth pair
	Addr      string   `json:"addr"`      // 172.30.0.11/24, on the node's eth0
	TokenFile string   `json:"tokenFile"` // podlet --token-file
	StateDir  string   `json:"stateDir"`  // podlet --state-dir
	Log       string   `json:"log"`
	Podlet    *Process `json:"podlet,omitempty"` // nil before the first start
	// PodletArgs are the flags the running podlet was started with.
	PodletArgs []string `json:"podletArgs,omitempty"`
}

// podletFlags are the flags of node n's podlet.
func (st *State) podletFlags(n Node) PodletFlags {
	return PodletFlags{
		NodeName:    n.Name,
		NodeIP:      netip.MustParsePrefix(n.Addr).Addr().String(),
		Server:      st.Server.URL,
		TokenFile:   n.TokenFile,
		StateDir:    n.StateDir,
		Backend:     st.Config.Backend,
		ClusterCIDR: st.Config.PodCIDR.String(),
	}
}

// Process is a daemon up started, known by its PID and start time: a
// PID alone may be another process's by now (see Process.Alive).
type Process struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"startTime"` // field 22 of /proc/PID/stat, clock ticks since boot
	Exe       string `json:"exe"`       // the path it was started as, its argv[0]
}

// newState returns the state of a cluster of cfg, nothing made yet.
func newState(cfg Config) *State {
	dir := Dir()
	st := &State{
		Config:    cfg,
		Dir:       dir,
		Bridge:    cfg.Bridge,
		HostAddr:  cfg.hostAddr().String(),
		Server:    Server{URL: cfg.serverURL(), DataDir: filepath.Join(dir, "server"), Log: filepath.Join(dir, "podlab-server.log")},
		TokenFile: filepath.Join(dir, "tokens.csv"),
	}
	for i := 1; i <= cfg.Nodes; i++ {
		st.Nodes = append(st.Nodes, st.newNode(i))
	}
	return st
}

// newNode returns node i of the cluster, nothing made yet.
func (st *State) newNode(i int) Node {
	cfg, name := st.Config, st.Config.nodeName(i)
	return Node{
		Name:      name,
		NetNS:     cfg.netnsName(i),
		HostVeth:  cfg.hostVeth(i),
		Addr:      cfg.nodeAddr(i).String(),
		TokenFile: filepath.Join(st.Dir, name+".token"),
		StateDir:  nodeStateDir(name),
		Log:       filepath.Join(st.Dir, "podlet-"+name+".log"),
	}
}

// stateFile is where the state of the cluster in dir is kept.
func stateFile(dir string) string { return filepath.Join(dir, "cluster.json") }

// Load reads the state of the cluster in Dir(). It returns nil and no
// error when there is no cluster.
func Load() (*State, error) {
	path := stateFile(Dir())
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the cluster's state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("read the cluster's state %s: %w (\"podlab down\" cannot know what to remove: remove it by hand)", path, err)
	}
	return &st, nil
}

// save writes the state, atomically: a crash leaves the old one or the
// new one, never half of one.
func (st *State) save() error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	path := stateFile(st.Dir)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save the cluster's state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save the cluster's state: %w", err)
	}
	return nil
}

// mkdirAll is os.MkdirAll that records in st.MadeDirs every directory it
// creates, so that down can remove them again.
func (st *State) mkdirAll(dir string, perm os.FileMode) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		missing = append(missing, d)
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	for _, d := range missing {
		if !st.made(d) {
			st.MadeDirs = append(st.MadeDirs, d)
		}
	}
	return nil
}

// made tells whether up recorded dir as made by it.
func (st *State) made(dir string) bool {
	return slices.Contains(st.MadeDirs, dir)
}

// removeMadeDirs removes the directories of MadeDirs that are empty,
// deepest first, and returns those it removed. The cluster's own
// directory is removed whole elsewhere.
func (st *State) removeMadeDirs() []string {
	dirs := slices.Clone(st.MadeDirs)
	// Deeper paths have more separators: remove those first.
	slices.SortStableFunc(dirs, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	var removed []string
	for _, d := range dirs {
		if os.Remove(d) == nil {
			removed = append(removed, d)
		}
	}
	return removed
}
