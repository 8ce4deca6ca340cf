package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/cluster"
)

// The lab reads etcd with the plain etcd client, as etcdctl does: only
// podlab-server links etcd's server.

// openEtcd connects to the etcd of the local cluster, whose client URL
// "podlab up" recorded in the cluster's state.
func openEtcd() (*clientv3.Client, string, error) {
	st, err := cluster.Load()
	if err != nil {
		return nil, "", err
	}
	if st == nil {
		return nil, "", errors.New("no local cluster state: etcd is not on this machine (a Vagrant cluster keeps it on its control plane)")
	}
	url := st.Config.EtcdClientURL
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: 3 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, url, fmt.Errorf("etcd at %s: %w", url, err)
	}
	return c, url, nil
}

// podKey is where the API server keeps a pod: /registry/pods/<ns>/<name>.
func podKey(ns, name string) string { return "/registry/pods/" + ns + "/" + name }

// revision is one stored version of a key: what was written at a revision.
type revision struct {
	Rev   int64
	Bytes int
	Pod   api.Pod
}

func (v revision) String() string {
	node := v.Pod.Spec.NodeName
	if node == "" {
		node = `""`
	}
	return fmt.Sprintf("revision %d: %d bytes of JSON, uid %s, spec.nodeName %s, status.phase %q", v.Rev, v.Bytes, v.Pod.UID, node, v.Pod.Status.Phase)
}

func decode(rev int64, value []byte) (revision, error) {
	v := revision{Rev: rev, Bytes: len(value)}
	return v, json.Unmarshal(value, &v.Pod)
}

// history is every value key had from revision from on, as etcd's MVCC
// keeps it (until compaction): a watch that starts in the past replays
// each write. It stops at the key's current revision, or at its deletion.
func history(ctx context.Context, c *clientv3.Client, key string, from int64) ([]revision, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	now, err := c.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	last := now.Header.Revision
	if len(now.Kvs) > 0 {
		last = now.Kvs[0].ModRevision
	}
	var out []revision
	for resp := range c.Watch(ctx, key, clientv3.WithRev(from)) {
		if err := resp.Err(); err != nil {
			return out, err
		}
		for _, ev := range resp.Events {
			if ev.Type == clientv3.EventTypeDelete {
				return out, nil
			}
			v, err := decode(ev.Kv.ModRevision, ev.Kv.Value)
			if err != nil {
				return out, err
			}
			if out = append(out, v); v.Rev >= last {
				return out, nil
			}
		}
	}
	return out, ctx.Err()
}
