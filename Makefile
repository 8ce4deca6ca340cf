# podlab: run as root (sudo make demo, sudo make test).
#
# sudo resets PATH, so find Go where the official tarball puts it too.
GO       ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN      := bin
LABS     := $(sort $(notdir $(wildcard cmd/lab*)))
APPS     := $(sort $(notdir $(patsubst %/main.go,%,$(wildcard workloads/apps/*/main.go))))
PACKAGES := busybox-static iproute2 iptables kmod

# urfave/cli without its man-page generator: its package init would cost
# every container start (the shim and init are this binary) half a millisecond.
export GOFLAGS := -tags=urfave_cli_no_docs

.PHONY: all deps build apps images test demo bench reset clean vagrant vagrant-validate

all: build

# deps installs the Debian packages podlab needs, and only those missing.
deps:
	@missing=""; \
	for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all present ($(PACKAGES))"; \
	else echo "deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

# build puts every binary of cmd/ into bin/; pause without symbols: one
# runs per Pod, so its size counts.
build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...
	$(GO) build -trimpath -ldflags='-s -w' -gcflags=all=-l -o $(BIN)/pause ./cmd/pause

# apps are the tiny static programs that run inside containers.
apps:
	@mkdir -p $(BIN)/apps
	CGO_ENABLED=0 $(GO) build -o $(BIN)/apps/ $(addprefix ./workloads/apps/,$(APPS))

# images: the busybox base image from the host's busybox-static, then one
# image per app (the base plus the app's binary).
images: build apps
	$(BIN)/podlab image build busybox
	@for a in $(APPS); do $(BIN)/podlab image build --binary $(BIN)/apps/$$a $$a || exit 1; done

# test runs every test; the integration tests need root and run for real.
# vagrant-validate first: the VM cluster's definition, in seconds.
# The fuzz test is bounded by a count of inputs, not by a time: Go 1.26's
# fuzz coordinator can fail a timed run with "context deadline exceeded"
# when its time is up on a busy machine (go.dev/issue/75804, fixed in 1.27).
test: deps vagrant-validate
	$(GO) vet ./...
	$(GO) test -count=1 -p 1 -timeout 30m ./...
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 100000x ./core/api/

# The VM cluster of the Vagrantfile. "make vagrant" cross-builds every
# binary and app for linux/$(VAGRANT_ARCH), static, into vagrant/out/bin
# and makes the cluster's tokens once, into vagrant/out/tokens
# (vagrant/tokens.sh); the VMs see them at /vagrant/vagrant/out. It needs
# Go, not root, and takes the Vagrantfile's settings from the environment,
# with its defaults. VAGRANT_ARCH=arm64 for an arm64 box (Apple silicon).
PODLAB_NODES   ?= 2
PODLAB_NETWORK ?= 192.168.56
VAGRANT_ARCH   ?= amd64
VAGRANT_OUT    := vagrant/out
VAGRANT_BUILD  := CGO_ENABLED=0 GOOS=linux GOARCH=$(VAGRANT_ARCH) $(GO) build
VAGRANT_PACKAGES := vagrant vagrant-libvirt shellcheck

vagrant:
	@mkdir -p $(VAGRANT_OUT)/bin/apps
	$(VAGRANT_BUILD) -o $(VAGRANT_OUT)/bin/ ./cmd/...
	$(VAGRANT_BUILD) -trimpath -ldflags='-s -w' -gcflags=all=-l -o $(VAGRANT_OUT)/bin/pause ./cmd/pause
	$(VAGRANT_BUILD) -o $(VAGRANT_OUT)/bin/apps/ $(addprefix ./workloads/apps/,$(APPS))
	sh vagrant/tokens.sh $(VAGRANT_OUT)/tokens $(PODLAB_NODES) http://$(PODLAB_NETWORK).10:6443

# vagrant-validate checks the VM cluster's definition without booting a
# VM: "vagrant validate" for the libvirt provider (Debian's
# vagrant-libvirt) and for VirtualBox, whose provider asks VBoxManage for
# its version first (CI has no VirtualBox: a stub answers), then
# shellcheck on vagrant/*.sh. It installs the Debian packages missing,
# without recommends (about 80 packages, 30 MB, some 25 s the first time);
# Vagrant's own files go to a directory that is removed after.
vagrant-validate:
	@missing=""; \
	for p in $(VAGRANT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] || { echo "vagrant-validate: installing$$missing"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	printf '#!/bin/sh\necho 7.0.20r163906\n' >$$d/VBoxManage && chmod +x $$d/VBoxManage && \
	for p in libvirt virtualbox; do \
		printf 'vagrant validate, provider %s: ' $$p; \
		PATH=$$d:$$PATH VAGRANT_DEFAULT_PROVIDER=$$p VAGRANT_DOTFILE_PATH=$$d/dot VAGRANT_HOME=$$d/home \
			vagrant validate || exit 1; \
	done
	shellcheck vagrant/*.sh
	@echo "vagrant-validate: the Vagrantfile and vagrant/*.sh are fine"

# demo runs every lab without pauses and the reference solutions of their
# exercises (labs/*/solution.sh), then grades them all. The labs from 08
# on run on a cluster: podlab up starts one of 3 nodes before the first of
# them (lab 08's exercise wants a third node), and it stays up at the end,
# for the student to look at.
demo: deps
	@$(MAKE) --no-print-directory reset images
	@up=; for l in $(LABS); do \
		case $$l in lab0[0-7]-*) ;; *) [ -n "$$up" ] || $(BIN)/podlab up --nodes 3 || exit 1; up=1;; esac; \
		$(BIN)/$$l --auto || exit 1; \
		s=labs/$${l#lab}/solution.sh; [ ! -x $$s ] || PODLAB=$(BIN)/podlab $$s || exit 1; done; \
	$(BIN)/checker run; rc=$$?; \
	[ -z "$$up" ] || echo "The cluster stays up: sudo $(BIN)/podlab get pods -A shows it, sudo $(BIN)/podlab down removes it."; \
	exit $$rc

# bench: container start (median of 20), pod start (median of 20 pods,
# until the app runs and the pod IP answers ping) and the teardown of the
# 20, and the peak memory of pause; then the local cluster, on its own
# 2-node cluster: podlab up until Ready, a pod's create → Running (p50,
# p99 of 50), 100 pods at once, the memory of podlab-server and a podlet
# with 0 and 50 pods, each with its goal; and the TCP throughput of pod →
# pod across nodes over vxlan and host-gw against node → node.
bench: deps
	$(GO) test -count=1 -run '^$$' -bench BenchmarkContainerStart -benchtime 20x ./core/runtime/
	$(GO) test -count=1 -run '^$$' -bench BenchmarkPodStart -benchtime 1x ./core/runtime/
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 3x ./cmd/pause/
	$(GO) test -count=1 -run '^$$' -bench BenchmarkCluster -benchtime 1x -timeout 20m ./core/cluster/

# reset removes what the labs left running, the local cluster if one is
# up, and every other container (images stay: they live in
# /var/lib/podlab/images).
reset:
	@for l in $(shell echo $(LABS) | tr ' ' '\n' | sort -r | grep -v lab00); do \
		[ ! -x $(BIN)/$$l ] || $(BIN)/$$l --cleanup --auto >/dev/null || exit 1; done
	@[ ! -x $(BIN)/podlab ] || { out=$$($(BIN)/podlab down 2>&1) || { echo "$$out"; exit 1; }; \
		case "$$out" in "no cluster here"*) ;; *) echo "$$out";; esac; }
	@[ ! -x $(BIN)/podlab ] || for p in $$($(BIN)/podlab pod ls --quiet); do \
		$(BIN)/podlab pod rm --grace-period 0 $$p >/dev/null || exit 1; done
	@[ ! -x $(BIN)/podlab ] || for c in $$($(BIN)/podlab container ls --quiet); do \
		$(BIN)/podlab container rm --force $$c >/dev/null || exit 1; done

# clean is reset, then the binaries go.
clean: reset
	rm -rf $(BIN)
