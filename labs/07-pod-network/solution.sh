#!/bin/sh
# Reference solution of the lab 07 exercise, for instructors and for
# `make demo`: connect a third pod to the node's bridge and reach both pods
# of the lab from it.
set -e
PODLAB=${PODLAB:-bin/podlab}
$PODLAB pod rm --grace-period 0 third >/dev/null 2>&1 || true
$PODLAB pod run -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: third
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: box
    image: busybox
    command: ["sleep", "3600"]
YAML
for pod in lab07-a lab07-b; do
  ip=$($PODLAB pod ls | awk -v pod=$pod '$1 == pod { print $4 }')
  echo "third -> $pod ($ip:8080):"
  $PODLAB pod exec third -- wget -qO- "$ip:8080"
done
