"""Fixtures shared by the smoke, integration and Kapacitor tests: real servers on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from harness import (REPO, VERSIONS, legacy_influxdb_built, start_influxdb, start_kapacitor)

INFLUXDB_VERSIONS = [VERSIONS["INFLUXDB_VERSION"]] + (
    [VERSIONS["INFLUXDB_LEGACY_VERSION"]] if legacy_influxdb_built() else [])


def _stop_on_exit(request, server):
    request.addfinalizer(server.process.stop)
    return server


@pytest.fixture(scope="session")
def influxdb(request, tmp_path_factory):
    """The pinned InfluxDB (2.9.1), onboarded; ``.token`` is the operator token."""
    server = start_influxdb(VERSIONS["INFLUXDB_VERSION"], tmp_path_factory.mktemp("influxdb"))
    return _stop_on_exit(request, server)


@pytest.fixture(scope="session", params=INFLUXDB_VERSIONS)
def influxdb_any(request, tmp_path_factory):
    """Each built InfluxDB version (2.9.1 with hashed tokens, 2.7.12 with plain ones), onboarded."""
    server = start_influxdb(request.param, tmp_path_factory.mktemp(f"influxdb-{request.param}"))
    return _stop_on_exit(request, server)


@pytest.fixture(params=INFLUXDB_VERSIONS)
def influxdb_blank(request, tmp_path_factory):
    """A fresh influxd that has not been onboarded (for influxdb2_setup)."""
    server = start_influxdb(request.param, tmp_path_factory.mktemp("influxdb-blank"), onboard=False)
    return _stop_on_exit(request, server)


@pytest.fixture(scope="session")
def kapacitor(request, tmp_path_factory, influxdb):
    """kapacitord wired to ``influxdb`` as the reference page says, with the operator token."""
    server = start_kapacitor(VERSIONS["KAPACITOR_VERSION"], tmp_path_factory.mktemp("kapacitor"), influxdb,
                             auth={"token": influxdb.token})
    return _stop_on_exit(request, server)


@pytest.fixture
def prefix():
    """A random name prefix so objects from one test never collide with another's."""
    return "t" + uuid.uuid4().hex[:8] + "-"


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """A collections path in which this checkout is tickstack.influx."""
    root = tmp_path_factory.mktemp("collections")
    ns = root / "ansible_collections" / "tickstack"
    ns.mkdir(parents=True)
    (ns / "influx").symlink_to(REPO)
    return root


@pytest.fixture(scope="session")
def run_playbook(collections_path, tmp_path_factory):
    """Run ``ansible-playbook`` on localhost with this collection; returns the CompletedProcess.

    ``extra_vars`` go in as JSON. With ``expect_failure`` the run must fail; otherwise it must pass,
    and its output is shown when it does not.
    """
    bindir = Path(sys.executable).parent
    tmp = tmp_path_factory.mktemp("ansible")

    def run(playbook, extra_vars=None, check=False, diff=False, expect_failure=False, verbosity=0, env=None):
        argv = [str(bindir / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook),
                "-e", json.dumps({"ansible_python_interpreter": sys.executable, **(extra_vars or {})})]
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        if verbosity:
            argv.append("-" + "v" * verbosity)
        proc_env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
                    # remote_tmp is ~/.ansible/tmp whatever ANSIBLE_HOME says; with -c local that
                    # is this machine's home, where a test has no business writing.
                    "ANSIBLE_LOCAL_TEMP": str(tmp), "ANSIBLE_REMOTE_TMP": str(tmp / "remote"),
                    "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
                    "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_DEPRECATION_WARNINGS": "0",
                    **(env or {})}
        proc = subprocess.run(argv, capture_output=True, text=True, env=proc_env, cwd=REPO, check=False)
        output = proc.stdout + proc.stderr
        if expect_failure:
            assert proc.returncode != 0, f"expected {playbook} to fail:\n{output}"
        else:
            assert proc.returncode == 0, f"{playbook} failed:\n{output}"
        return proc

    return run
