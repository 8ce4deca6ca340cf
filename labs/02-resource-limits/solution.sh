#!/bin/sh
# Reference solution of the lab 02 exercise, for instructors and for
# `make demo`: a container limited to 0.5 CPU and 64 MiB.
set -e
PODLAB=${PODLAB:-bin/podlab}
$PODLAB container rm -f limited >/dev/null 2>&1 || true
$PODLAB container run -d --name limited --cpus 0.5 --memory 64Mi busybox sleep 3600
