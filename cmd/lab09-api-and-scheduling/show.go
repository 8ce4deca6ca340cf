package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
	. "github.com/podlab/podlab/core/steps"
)

// showStored prints the pod as etcd holds it at the revision of its
// creation: the scheduler may have bound it since, but etcd keeps every
// revision (until compaction), so the first write can still be read.
func showStored(r *Run, ns string, pod *api.Pod) error {
	db, url, err := openEtcd()
	if err != nil {
		r.Value("etcd", err.Error())
		return nil // a remote cluster: the API alone shows the rest
	}
	defer db.Close()
	rev, err := strconv.ParseInt(pod.ResourceVersion, 10, 64)
	if err != nil {
		return fmt.Errorf("resourceVersion %q: %w", pod.ResourceVersion, err)
	}
	key := podKey(ns, pod.Name)
	ctx, cancel := context.WithTimeout(r.Ctx, 5*time.Second)
	defer cancel()
	resp, err := db.Get(ctx, key, clientv3.WithRev(rev))
	if err != nil {
		return fmt.Errorf("etcd at %s: get %s at revision %d: %w", url, key, rev, err)
	}
	if len(resp.Kvs) == 0 {
		return fmt.Errorf("etcd at %s has no %s at revision %d", url, key, rev)
	}
	kv := resp.Kvs[0]
	v, err := decode(kv.ModRevision, kv.Value)
	if err != nil {
		return err
	}
	r.Value("etcd key", string(kv.Key))
	r.Value("stored at", fmt.Sprintf("revision %d (createRevision %d, version %d)", kv.ModRevision, kv.CreateRevision, kv.Version))
	r.Value("value", fmt.Sprintf("%.140s…", kv.Value))
	r.Value("fields", fmt.Sprintf("metadata.uid %s, metadata.namespace %s, spec.nodeName %q, status.phase %q", v.Pod.UID, v.Pod.Namespace, v.Pod.Spec.NodeName, v.Pod.Status.Phase))
	r.Command("etcdctl --endpoints %s get %s --rev=%d --print-value-only", url, key, rev)
	return nil
}

// showHistory prints every revision of the pod's key since its creation:
// who wrote what, as the fields show it.
func showHistory(r *Run, ns string, pod *api.Pod) {
	db, _, err := openEtcd()
	if err != nil {
		r.Value("etcd", err.Error())
		return
	}
	defer db.Close()
	key := podKey(ns, pod.Name)
	ctx, cancel := context.WithTimeout(r.Ctx, 5*time.Second)
	defer cancel()
	resp, err := db.Get(ctx, key)
	if err != nil || len(resp.Kvs) == 0 {
		r.Value("etcd", fmt.Sprintf("get %s: %v", key, err))
		return
	}
	revs, err := history(r.Ctx, db, key, resp.Kvs[0].CreateRevision)
	for _, v := range revs {
		r.Value(key, v.String())
	}
	if err != nil {
		r.Value("etcd history", err.Error())
	}
}

// deleteAndWatch deletes a bare pod, waits until it is gone and shows,
// a while later, that nothing made it again.
func deleteAndWatch(r *Run, c *client.Client, name string) error {
	pod, err := c.Pods(ns).Delete(r.Ctx, name, client.DeleteOptions{})
	if err != nil {
		return err
	}
	if pod.DeletionTimestamp != nil {
		r.Value("deleted", fmt.Sprintf("deletionTimestamp %s, grace %ds: the podlet of %s stops it", pod.DeletionTimestamp.Local().Format(time.TimeOnly), *pod.DeletionGracePeriodSeconds, pod.Spec.NodeName))
	}
	ctx, cancel := context.WithTimeout(r.Ctx, time.Minute)
	defer cancel()
	for {
		if _, err := c.Pods(ns).Get(ctx, name); client.IsNotFound(err) {
			break
		} else if ctx.Err() != nil {
			return fmt.Errorf("pod %s is still there after a minute", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.Value("pod "+name, "gone from the API")
	select { // long enough for any controller to act, if there were one
	case <-time.After(3 * time.Second):
	case <-r.Ctx.Done():
		return r.Ctx.Err()
	}
	pods, _, err := c.Pods(ns).List(r.Ctx, client.ListOptions{})
	var names []string
	for _, p := range pods {
		names = append(names, p.Name)
	}
	r.Value("pods in "+ns+" 3s later", strings.Join(names, ", "))
	if db, _, err := openEtcd(); err == nil {
		resp, err := db.Get(r.Ctx, podKey(ns, name))
		if err == nil {
			r.Value("etcd "+podKey(ns, name), fmt.Sprintf("%d key(s) at revision %d", resp.Count, resp.Header.Revision))
		}
		db.Close()
	}
	for _, e := range events(r.Ctx, c, ns, name, "Killing") {
		r.Value("event", e)
	}
	return err
}
