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
	@echo "make test       every gate CI runs: lint, sanity, unit, smoke, integration, faults, molecule,"
	@echo "                and the controller matrix (ansible-core 2.17-2.20) beside molecule"
	@echo "make matrix     sanity and unit on every ansible-core minor, integration on the oldest and newest"
	@echo "make bench      benchmarks (outside make test): they print numbers"
	@echo "make artifacts  build the real binaries into $$TICKSTACK_ARTIFACTS"

# .venv runs the newest ansible-core (tests/requirements.txt), which needs Python 3.12 or later; it
# is tested on 3.13. tools/matrix.sh find-python looks in pyenv's versions, /usr/local/bin, /usr/bin
# and PATH, and says where it looked when there is none. A .venv of another Python is rebuilt.
VENV_PYTHON_VERSION ?= 3.13
# pip's cache with the rest of ours, not in ~/.cache/pip.
export PIP_CACHE_DIR ?= $(abspath $(TICKSTACK_CACHE))/pip

$(VENV)/.stamp: tests/requirements.txt
	@python=$$(tools/matrix.sh find-python $(VENV_PYTHON_VERSION)) \
	  || { echo "make venv: $(VENV) needs Python $(VENV_PYTHON_VERSION) (set VENV_PYTHON_VERSION=3.12 to use 3.12)" >&2; exit 1; }; \
	  if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(VENV_PYTHON_VERSION)".split("."))))'; then \
	    echo "== venv: $(VENV) is not Python $(VENV_PYTHON_VERSION): rebuilding it"; rm -rf $(VENV); fi; \
	  echo "== venv: $(VENV) on $$python"; "$$python" -m venv $(VENV)
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

# Benchmarks print numbers; they are not gates (not in `make test`). tools/bench/bench.py runs each
# of tools/bench/ and prints one table; the stack's sections start bench-* containers on the
# tickstack-bench network (hence the prerequisites of molecule). BENCH_ONLY=tickscript,stack,scale,ingest
# runs only those; BENCH_TELEGRAF_SCALE (default 1,5,20) the Telegraf host counts of scale.
bench: venv artifacts apt-repo images mirror
	@echo "== benchmarks"; eval "$$(tools/apt_repo.sh env)"; $(PY) tools/bench/bench.py

smoke: venv artifacts
	@echo "== smoke test (real binaries)"; $(BIN)/pytest -q tests/smoke

integration: venv artifacts
	@echo "== integration tests (real servers)"; $(BIN)/pytest -q -n 2 --dist loadfile tests/integration

# Four workers on two cores: most of a fault case is waiting (a stalled reply outlasting the timeout).
.PHONY: faults
faults: venv artifacts
	@echo "== fault injection (real servers behind a fault proxy; report: /tmp/faults_report.md)"; $(BIN)/pytest -q -n 4 tests/faults

# --- controller matrix (tools/matrix.sh): the ansible-core minors meta/runtime.yml claims ---------
# Each leg runs in a venv of its own under $(TICKSTACK_CACHE)/matrix/ (ansible-core X.Y on a Python
# it supports); .venv (the newest, 2.21) is what `sanity`, `unit` and `integration` above run on.
MATRIX_LEGS := $(shell tools/matrix.sh legs)
.PHONY: matrix matrix-sanity matrix-unit integration-oldest
matrix: artifacts
	@echo "== matrix: $(MATRIX_LEGS)"; tools/matrix.sh $(MATRIX_LEGS)

matrix-sanity:
	@echo "== matrix: ansible-test sanity per ansible-core"; tools/matrix.sh $(filter sanity-%,$(MATRIX_LEGS))

matrix-unit:
	@echo "== matrix: unit tests per ansible-core"; tools/matrix.sh $(filter unit-%,$(MATRIX_LEGS))

integration-oldest: artifacts
	@echo "== integration tests on the oldest ansible-core claimed"; tools/matrix.sh $(firstword $(filter integration-%,$(MATRIX_LEGS)))

# make test runs its share of the legs .venv does not cover (the newest ansible-core's are `sanity`,
# `unit` and `integration` above) in the background while Molecule runs, which is mostly waiting on
# services and the network; matrix-wait fails make test if a leg failed. With MATRIX_TEST_LEGS set to
# more legs, the integration legs go in one stream and the rest in another.
# Measured on the 2-core machine (2026-12-01, load average 10-22 from other engineers' runs, so an
# upper bound): venv per leg (ansible-core + pytest) 56-120 s cold, reused after; unit-2.17..2.21
# 40-77 s each; integration-2.21 (.venv, -n 2) 1656 s, integration-2.17 3100 s (the same 49
# tests); sanity-2.21 (.venv, module code on 3.11 and 3.13) 2086 s cold, building ansible-test's
# venvs; the older sanity legs, cold and two at a time, over 900 s each; faults 490 s, docs 252 s,
# ansible-lint 415 s, smoke 28 s, ee 8 s. So on a cold machine the background streams (about 45 and
# 40 min) outlast Molecule (about 30): matrix-wait adds 10-15 min, over the 75 min budget unless
# ansible-test's venvs (in $(TICKSTACK_CACHE)/matrix/sanity-X.Y/home) are kept between CI runs.
# MATRIX_TEST_LEGS= (empty) leaves the matrix out of make test; `make matrix` runs all of it.
MATRIX_NEWEST := $(lastword $(subst -, ,$(lastword $(MATRIX_LEGS))))
# make test's share, chosen for the budget (a cold CI run under 75 min): the unit legs of the older
# cores. Their sanity legs and the integration suite on 2.17 are `make matrix` (run before a
# release and reported in the changelog), not CI: together they outlast Molecule by 10-15 min cold.
MATRIX_TEST_LEGS ?= $(filter unit-%,$(filter-out %-$(MATRIX_NEWEST),$(MATRIX_LEGS)))
MATRIX_STREAM_1 := $(filter integration-%,$(MATRIX_TEST_LEGS))
MATRIX_STREAM_2 := $(filter-out integration-%,$(MATRIX_TEST_LEGS))
MATRIX_LOGS := $(TICKSTACK_CACHE)/logs/matrix-background
.PHONY: matrix-background matrix-wait
matrix-background: venv artifacts
	@mkdir -p $(MATRIX_LOGS); rm -f $(MATRIX_LOGS)/stream-*
	@n=0; for legs in "$(MATRIX_STREAM_1)" "$(MATRIX_STREAM_2)"; do \
	  [ -n "$$legs" ] || continue; n=$$((n + 1)); log=$(MATRIX_LOGS)/stream-$$n.log; : >"$$log"; \
	  echo "== matrix: $$legs in the background (log: $$log)"; \
	  nohup bash -c "tools/matrix.sh $$legs >$$log 2>&1; echo \$$? >$${log%.log}.rc" >/dev/null 2>&1 & \
	done

matrix-wait:
	@echo "== matrix: waiting for the background legs"; \
	  for log in $(MATRIX_LOGS)/stream-*.log; do \
	    [ -f "$$log" ] || continue; rc=$${log%.log}.rc; while [ ! -f "$$rc" ]; do sleep 10; done; \
	    grep '^\[matrix\] [^ ]* *\(pass\|FAIL\) ' "$$log" || true; \
	    [ "$$(cat "$$rc")" = 0 ] || { cat "$$log"; echo "matrix: a leg failed ($$log)" >&2; exit 1; }; \
	  done

# The scenarios make test runs, MOLECULE_JOBS (3: all of them) at a time (tools/molecule.sh); demo
# is only syntax-checked (make demo converges it). Measured 2026-12-01, the three side by side and
# the integration suite beside them (load average 8-12 on 2 cores): migrate 1618 s; default and
# debian13 about 40 min each.
MOLECULE_SCENARIOS ?= debian13 default migrate
export MOLECULE_JOBS ?= 3
molecule: venv artifacts apt-repo images mirror
	@eval "$$(tools/apt_repo.sh env)"; echo "== molecule: $(MOLECULE_SCENARIOS) (apt repository $$TICKSTACK_APT_REPO_URL)"; \
	  MOLECULE=$(MOLECULE_BIN) tools/molecule.sh $(MOLECULE_SCENARIOS)
	@echo "== molecule: demo (syntax)"; $(MOLECULE_BIN) syntax -s demo

# make test starts Molecule in the background as soon as the artifacts and images exist, and runs
# every other gate (lint, sanity, docs, unit, the collection build, smoke, the integration and fault
# suites, the older cores' unit legs) while it runs: a converge is mostly waiting on services, the
# other gates mostly CPU. Molecule is the longest stream (CI 2026-12-01: 59 min for the three
# scenarios side by side, started after 8 min of quick gates, 67 min in all), so every minute it
# starts earlier is a minute off make test. molecule-wait prints Molecule's table (and a failed
# scenario's log) and fails make test if a scenario failed.
MOLECULE_BG := $(TICKSTACK_CACHE)/logs/molecule-background
MOLECULE_BIN ?= $(BIN)/molecule
.PHONY: molecule-background molecule-wait
molecule-background: venv artifacts apt-repo images mirror
	@mkdir -p $(MOLECULE_BG); rm -f $(MOLECULE_BG)/rc; : >$(MOLECULE_BG)/run.log
	@echo "== molecule: $(MOLECULE_SCENARIOS) in the background, $(MOLECULE_JOBS) at a time (log: $(MOLECULE_BG)/run.log)"
	@nohup bash -c 'eval "$$(tools/apt_repo.sh env)"; MOLECULE=$(MOLECULE_BIN) tools/molecule.sh $(MOLECULE_SCENARIOS) >$(MOLECULE_BG)/run.log 2>&1; echo $$? >$(MOLECULE_BG)/rc' >/dev/null 2>&1 &

molecule-wait:
	@[ -f $(MOLECULE_BG)/run.log ] || { echo "molecule-wait: no background Molecule (make molecule-background)" >&2; exit 1; }
	@echo "== molecule: waiting for $(MOLECULE_SCENARIOS)"; while [ ! -f $(MOLECULE_BG)/rc ]; do sleep 10; done
	@cat $(MOLECULE_BG)/run.log
	@[ "$$(cat $(MOLECULE_BG)/rc)" = 0 ] || { echo "molecule: a scenario failed (log above: $(MOLECULE_BG)/run.log)" >&2; exit 1; }
	@echo "== molecule: demo (syntax)"; $(MOLECULE_BIN) syntax -s demo

test: venv images-background artifacts molecule-background lint sanity docs unit collection ee smoke integration faults matrix-background matrix-wait molecule-wait
	@echo "make test: all gates passed"

demo: venv artifacts apt-repo images mirror
	@eval "$$(tools/apt_repo.sh env)"; $(BIN)/molecule converge -s demo
	@$(BIN)/ansible-playbook -i extensions/molecule/demo/inventory.yml playbooks/demo_status.yml

demo-down: venv
	@$(BIN)/molecule destroy -s demo

clean-venv:
	rm -rf $(VENV)
