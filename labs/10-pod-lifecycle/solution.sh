#!/bin/sh
# Reference solution of the lab 10 exercise, for instructors and for
# `make demo`: a pod whose preStop hook writes a file into a hostPath
# directory of the node before the pod shuts down; then delete the pod and
# show the file, which outlives it.
set -e
PODLAB=${PODLAB:-bin/podlab}
DIR=${PODLAB_RUN:-/run/podlab}/lab10/exercise
$PODLAB delete pod -n lab10 goodbye --grace-period 0 >/dev/null 2>&1 || true
while $PODLAB get pod -n lab10 goodbye >/dev/null 2>&1; do sleep 0.2; done
$PODLAB apply -f - <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: goodbye
  namespace: lab10
spec:
  terminationGracePeriodSeconds: 5
  volumes:
  - name: out
    hostPath: {path: $DIR, type: DirectoryOrCreate}
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait \$!; done"]
    volumeMounts:
    - {name: out, mountPath: /out}
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "echo \"\$(date) \$(hostname): preStop ran, SIGTERM comes next\" > /out/goodbye.txt"]
YAML
until $PODLAB get pod -n lab10 goodbye 2>/dev/null | grep -q Running; do sleep 0.2; done
$PODLAB delete pod -n lab10 goodbye
while $PODLAB get pod -n lab10 goodbye >/dev/null 2>&1; do sleep 0.2; done
echo "$DIR/goodbye.txt:"
cat "$DIR/goodbye.txt"
