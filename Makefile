# tickstack.influx — developer entry points.
#   make demo        the whole stack up in local containers (make demo-down removes it)
#   make test        everything CI runs (.ci/run calls exactly this)
#   make artifacts   real InfluxDB/Kapacitor/Telegraf release tarballs into $TICKSTACK_ARTIFACTS
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export TICKSTACK_CACHE ?= $(HOME)/.cache/tickstack
export TICKSTACK_ARTIFACTS ?= $(TICKSTACK_CACHE)/artifacts
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# A collections path in which this checkout is tickstack.influx (FQCNs resolve without installing);
# one per checkout, so a CI clone and a work tree on the same machine never see each other's code.
COLLECTIONS := $(TICKSTACK_CACHE)/collections/$(shell printf '%s' '$(CURDIR)' | sha256sum | cut -c1-12)
export ANSIBLE_COLLECTIONS_PATH := $(abspath $(COLLECTIONS))
export PATH := $(abspath $(BIN)):$(PATH)
# Everything Ansible writes for itself (tmp, galaxy cache, collections an installer puts in its
# default place) goes to the cache, never to ~/.ansible: make test writes only to the checkout and
# $(TICKSTACK_CACHE).
export ANSIBLE_HOME := $(abspath $(TICKSTACK_CACHE))/ansible-home

.PHONY: help venv gates artifacts apt-repo docker images mirror lint sanity docs role-docs collection ee unit bench smoke integration molecule test demo demo-down clean-venv

help:
	@echo "make demo       build or reuse the artifacts, start containers, converge the stack"
	@echo "make demo-down  remove the demo containers"
	@echo "make test       every gate CI runs: lint, sanity, unit, smoke, integration, faults, molecule"
	@echo "make bench      benchmarks (outside make test): they print numbers"
	@echo "make artifacts  build the real binaries into $$TICKSTACK_ARTIFACTS"

$(VENV)/.stamp: tests/requirements.txt
	@python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r tests/requirements.txt
	@cp tests/requirements.txt $@

venv: $(VENV)/.stamp collections

$(VENV)/.gates-stamp: tests/requirements-gates.txt $(VENV)/.stamp
	@$(PY) -m pip install -q -r tests/requirements-gates.txt
	@cp tests/requirements-gates.txt $@

gates: $(VENV)/.gates-stamp

.PHONY: collections
collections:
	@mkdir -p $(COLLECTIONS)/ansible_collections/tickstack
	@ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/tickstack/influx

artifacts:
	@tools/artifacts.sh

docker:
	@tools/docker.sh engine

images:
	@tools/docker.sh images

# Start building the Molecule images in the background while the artifacts compile (debootstrap is
# mostly network and disk, the Go and Rust builds are CPU): on a cold machine this overlaps about
# 7 minutes. `images` later waits for it through docker.sh's lock and then reuses what it built.
.PHONY: images-background
images-background: docker
	@mkdir -p $(TICKSTACK_CACHE)/logs
	@echo "== images: building in the background (log: $(TICKSTACK_CACHE)/logs/images-background.log)"
	@nohup tools/docker.sh images >$(TICKSTACK_CACHE)/logs/images-background.log 2>&1 &

mirror: docker
	@tools/mirror.sh start

# InfluxData's apt repository rebuilt from the artifacts (.deb packages, signed with a throwaway key
# in $(TICKSTACK_CACHE)/apt-repo/key), served by the mirror at <mirror>/repo: what the default
# scenario installs from with the roles' default method, repo. A no-op when nothing changed.
apt-repo: artifacts
	@tools/apt_repo.sh

lint: venv gates
	@echo "== ruff"; $(BIN)/ruff check plugins tests tools
	@echo "== shellcheck"; $(BIN)/shellcheck tools/*.sh .ci/run
	@echo "== ansible-lint (production profile)"; $(BIN)/ansible-lint --profile production

sanity: venv gates
	@echo "== ansible-test sanity"; tools/sanity.sh

docs: venv gates
	@echo "== docs: antsibull-docs, changelog, argument specs, role docs"; tools/docs_lint.sh

role-docs: venv gates
	@$(PY) tools/role_docs.py --role-readmes

collection: venv gates
	@echo "== build, install, use from the installed copy, galaxy-importer"; tools/check_collection.sh

ee: venv gates
	@echo "== execution environment build context"; tools/check_ee.sh

unit: venv
	@echo "== unit tests"; $(BIN)/pytest -q tests/unit

# Benchmarks print numbers; they are not gates (not in `make test`).
bench: venv
	@echo "== benchmarks"; $(PY) tools/bench/tickscript_scan.py

smoke: venv artifacts
	@echo "== smoke test (real binaries)"; $(BIN)/pytest -q tests/smoke

integration: venv artifacts
	@echo "== integration tests (real servers)"; $(BIN)/pytest -q -n 2 --dist loadfile tests/integration

# Four workers on two cores: most of a fault case is waiting (a stalled reply outlasting the timeout).
.PHONY: faults
faults: venv artifacts
	@echo "== fault injection (real servers behind a fault proxy; report: /tmp/faults_report.md)"; $(BIN)/pytest -q -n 4 tests/faults

# The scenarios make test runs, MOLECULE_JOBS (2) at a time (tools/molecule.sh), longest first so
# migrate (about 9 min) fills the gap after default (about 13); demo is only
# syntax-checked (make demo converges it).
MOLECULE_SCENARIOS ?= debian13 default migrate
export MOLECULE_JOBS ?= 2
molecule: venv artifacts apt-repo images mirror
	@eval "$$(tools/apt_repo.sh env)"; echo "== molecule: $(MOLECULE_SCENARIOS) (apt repository $$TICKSTACK_APT_REPO_URL)"; \
	  MOLECULE=$(BIN)/molecule tools/molecule.sh $(MOLECULE_SCENARIOS)
	@echo "== molecule: demo (syntax)"; $(BIN)/molecule syntax -s demo

test: venv images-background artifacts lint sanity docs unit collection ee smoke integration faults molecule
	@echo "make test: all gates passed"

demo: venv artifacts apt-repo images mirror
	@eval "$$(tools/apt_repo.sh env)"; $(BIN)/molecule converge -s demo
	@$(BIN)/ansible-playbook -i extensions/molecule/demo/inventory.yml playbooks/demo_status.yml

demo-down: venv
	@$(BIN)/molecule destroy -s demo

clean-venv:
	rm -rf $(VENV)
