#!/bin/sh
# Reference solution of the lab 06 exercise, for instructors and for
# `make demo`: a sidecar that reads the log file the main container writes.
# The app appends to a file in an emptyDir; the sidecar mounts the same
# volume and prints the file with tail -F, so the log is in its output.
set -e
PODLAB=${PODLAB:-bin/podlab}
$PODLAB pod rm --grace-period 0 log-sidecar >/dev/null 2>&1 || true
$PODLAB pod run -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: log-sidecar
spec:
  volumes:
  - name: logs
    emptyDir: {}
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo \"line $i\" >> /var/log/app/app.log; sleep 1; done"]
    volumeMounts:
    - name: logs
      mountPath: /var/log/app
  - name: sidecar
    image: busybox
    command: ["tail", "-F", "/var/log/app/app.log"]
    volumeMounts:
    - name: logs
      mountPath: /var/log/app
YAML
sleep 3 # let the sidecar print a few lines
