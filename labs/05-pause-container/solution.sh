#!/bin/sh
# Reference solution of the lab 05 exercise, for instructors and for
# `make demo`: a pod of two containers, a server on localhost:8080 and a
# client that fetches it (workloads/manifests/pods/two-containers.yaml).
set -e
PODLAB=${PODLAB:-bin/podlab}
DIR=$(dirname "$0")/../..
$PODLAB pod rm --grace-period 0 web >/dev/null 2>&1 || true
$PODLAB pod run -f "$DIR/workloads/manifests/pods/two-containers.yaml"
sleep 3 # the client fetches every 2 seconds
