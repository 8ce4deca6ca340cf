#!/bin/sh
# Reference solution of the lab 09 exercise, for instructors and for
# `make demo`: a pod "mine" in namespace lab09 that lands on node2, chosen
# by its nodeSelector on the label every node carries, kubernetes.io/hostname.
set -e
PODLAB=${PODLAB:-bin/podlab}
$PODLAB delete pod mine -n lab09 --force >/dev/null 2>&1 || true
$PODLAB apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: mine
  namespace: lab09
spec:
  terminationGracePeriodSeconds: 2
  nodeSelector:
    kubernetes.io/hostname: node2
  containers:
  - name: box
    image: busybox
    command: ["sleep", "3600"]
YAML
# Wait until node2 runs it: up to 20 s.
for i in $(seq 1 100); do
  $PODLAB get pod mine -n lab09 | grep -q Running && break
  sleep 0.2
done
$PODLAB get pod mine -n lab09 -o wide
