package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/podlab/podlab/core/api"
)

// storedNode reads a Node as etcd holds it, with the plain etcd client,
// as etcdctl would: the lease is there, in the annotations of the JSON
// under /registry/nodes/<name>. It returns the key and its revision.
func (c *cluster) storedNode(ctx context.Context, name string) (key string, rev int64, node *api.Node, err error) {
	url := c.state.Config.EtcdClientURL
	db, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: 3 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return "", 0, nil, fmt.Errorf("etcd at %s: %w", url, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	key = "/registry/nodes/" + name
	resp, err := db.Get(ctx, key)
	if err != nil {
		return key, 0, nil, fmt.Errorf("etcd get %q: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return key, 0, nil, fmt.Errorf("etcd has no key %q", key)
	}
	node = &api.Node{}
	if err := json.Unmarshal(resp.Kvs[0].Value, node); err != nil {
		return key, 0, nil, fmt.Errorf("decode %q: %w", key, err)
	}
	return key, resp.Kvs[0].ModRevision, node, nil
}
