#!/bin/sh
# Reference solution of the lab 11 exercise, for instructors and for
# `make demo`: a pod whose init container writes a config file into an
# emptyDir, and whose app reads it when it starts and prints it.
set -e
PODLAB=${PODLAB:-bin/podlab}
$PODLAB delete pod configured --grace-period 0 >/dev/null 2>&1 || true
while $PODLAB get pod configured >/dev/null 2>&1; do sleep 0.2; done
$PODLAB apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: configured
spec:
  terminationGracePeriodSeconds: 2
  volumes:
  - name: config
    emptyDir: {}
  initContainers:
  - name: write-config
    image: busybox
    command: ["sh", "-c", "printf 'greeting=hello from the init container\\ncolor=blue\\n' > /config/app.conf"]
    volumeMounts:
    - name: config
      mountPath: /config
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo 'config read at start:'; cat /config/app.conf; while true; do sleep 1; done"]
    volumeMounts:
    - name: config
      mountPath: /config
      readOnly: true
YAML
for i in $(seq 1 60); do
  $PODLAB logs configured -c app 2>/dev/null | grep -q greeting= && break
  sleep 0.5
done
$PODLAB logs configured -c app
