package cluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

// ErrNoCluster means there is no cluster to report on.
var ErrNoCluster = errors.New("no cluster here: \"podlab up\" starts one")

// Report is what "podlab status" shows: the cluster's processes as /proc
// sees them, and its Nodes as the API server has them.
type Report struct {
	State      *State
	Components []Component
	Nodes      []*api.Node // nil if the API server could not be asked
	APIError   error       // why not
}

// Component is one process of the cluster.
type Component struct {
	Name  string // podlab-server or podlet
	Node  string // the podlet's node, "" for the server
	NetNS string // the network namespace it runs in, "" for the host's
	PID   int    // 0 if never started
	State string // Running, NotRunning, NeverStarted or OutsideNetNS
	Log   string
}

// The states of a component.
const (
	Running      = "running"
	NotRunning   = "not running"
	NeverStarted = "never started"
	OutsideNetNS = "running outside its node" // its network namespace was deleted and made again
)

// Status reports on the cluster: are its processes alive, and what do
// its Nodes look like.
func Status(ctx context.Context) (*Report, error) {
	st, err := Load()
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("%w: the cluster's state is root's: run it with sudo", err)
	}
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, ErrNoCluster
	}
	r := &Report{State: st}
	r.Components = append(r.Components, component("podlab-server", "", "", st.Server.Process, st.Server.Log))
	for _, n := range st.Nodes {
		r.Components = append(r.Components, component("podlet", n.Name, n.NetNS, n.Podlet, n.Log))
	}
	err = st.hostOnUnderlay()
	var token string
	if err == nil {
		token, err = st.adminToken()
	}
	if err == nil {
		var c *client.Client
		if c, err = client.New(client.Config{Server: st.Server.URL, Token: token}); err == nil {
			r.Nodes, _, err = c.Nodes().List(ctx, client.ListOptions{})
		}
	}
	r.APIError = err
	return r, nil
}

func component(name, node, netns string, p *Process, log string) Component {
	c := Component{Name: name, Node: node, NetNS: netns, Log: log, State: NeverStarted}
	switch {
	case p == nil:
	case !p.Alive():
		c.PID, c.State = p.PID, NotRunning
	case netns != "" && !p.inNetNS(netnsPath(netns)):
		c.PID, c.State = p.PID, OutsideNetNS
	default:
		c.PID, c.State = p.PID, Running
	}
	return c
}

// Healthy returns an error naming the first part of the cluster that is
// not working, nil if all are.
func (r *Report) Healthy() error {
	for _, c := range r.Components {
		if c.State != Running {
			what := c.Name
			if c.Node != "" {
				what = "the podlet of " + c.Node
			}
			return fmt.Errorf("%s is %s (its log: %s): \"podlab up\" starts it again", what, c.State, c.Log)
		}
	}
	if r.APIError != nil {
		return fmt.Errorf("cannot list the nodes: %w", r.APIError)
	}
	return nil
}
