#!/bin/sh
# Reference solution of the lab 08 exercise, for instructors and for
# `make demo`: a third node (only if the cluster has fewer than three),
# a pod overlay-c in namespace lab08 on a node that runs neither
# overlay-a nor overlay-b, and proof that the other nodes learned it:
# overlay-a and overlay-b reach overlay-c across the overlay.
set -e
PODLAB=${PODLAB:-bin/podlab}
node_of() { $PODLAB get pod "$1" -n lab08 -o wide | awk 'NR==2 {print $NF}'; }
a=$(node_of overlay-a)
b=$(node_of overlay-b)
[ -n "$a" ] && [ -n "$b" ] || { echo "run the lab first: sudo bin/lab08-overlay-network" >&2; exit 1; }
if [ "$($PODLAB get nodes -o name | wc -l)" -lt 3 ]; then
  $PODLAB node add
fi
third=
for n in $($PODLAB get nodes -o name); do
  n=${n#node/}
  if [ "$n" != "$a" ] && [ "$n" != "$b" ]; then third=$n; break; fi
done
[ -n "$third" ] || { echo "no node runs neither $a nor $b" >&2; exit 1; }
$PODLAB delete pod overlay-c -n lab08 --grace-period 0 >/dev/null 2>&1 || true
while $PODLAB get pod overlay-c -n lab08 >/dev/null 2>&1; do sleep 0.2; done
# The same web server as overlay-a and overlay-b, on the third node.
$PODLAB apply -f - <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: overlay-c
  namespace: lab08
spec:
  terminationGracePeriodSeconds: 2
  nodeName: $third
  containers:
  - name: web
    image: busybox
    command:
    - sh
    - -c
    - |
      trap 'exit 0' TERM
      mkdir -p /www/cgi-bin
      echo "\$(hostname): hello across the overlay" > /www/index.html
      cat > /www/cgi-bin/whoami <<'CGI'
      #!/bin/sh
      printf 'Content-Type: text/plain\r\n\r\n'
      echo "\$(hostname) sees the client \$REMOTE_ADDR"
      CGI
      chmod +x /www/cgi-bin/whoami
      httpd -f -p 0.0.0.0:8080 -h /www &
      wait
YAML
# Wait until it runs: up to 30 s.
for i in $(seq 1 150); do
  $PODLAB get pod overlay-c -n lab08 | grep -q Running && break
  sleep 0.2
done
$PODLAB get pods -n lab08 -o wide
ip=$($PODLAB get pod overlay-c -n lab08 -o wide | awk 'NR==2 {print $6}')
# Every node learned the new one: the pods on the first two reach it.
for from in overlay-a overlay-b; do
  for i in $(seq 1 20); do
    out=$(timeout 5 $PODLAB exec -n lab08 $from -- wget -qO- http://$ip:8080/cgi-bin/whoami 2>/dev/null) && break
    sleep 0.5
  done
  echo "$from → $ip: $out"
  [ -n "$out" ]
done
