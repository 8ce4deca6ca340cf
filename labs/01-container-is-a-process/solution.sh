#!/bin/sh
# Reference solution of the lab 01 exercise, for instructors and for
# `make demo`: a container of your own with a hostname of your choice.
set -e
PODLAB=${PODLAB:-bin/podlab}
$PODLAB container rm -f mybox >/dev/null 2>&1 || true
$PODLAB container run -d --name mybox --hostname my-host busybox sleep 3600
