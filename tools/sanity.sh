#!/usr/bin/env bash
# `ansible-test sanity` on this collection, with no ignores.
#
# ansible-test wants the collection at .../ansible_collections/tickstack/influx and looks at every
# file there, so it runs on a fresh copy of the files git would track (tracked + untracked, minus
# .gitignore: no .venv, no tests/output, no caches) under $TICKSTACK_CACHE/sanity/. Its report is
# left there (tests/output/ of the copy), never in the checkout.
#
# Rules this gate enforces:
#   - 0 errors from every default sanity test;
#   - tests/sanity/ignore-*.txt are absent or empty (an ignore entry hides a real problem);
#
# Usage: tools/sanity.sh [ansible-test sanity options]   e.g. --test validate-modules
# Environment: SANITY_PYTHONS  Python versions to test module code with (default "3.11 3.13": the
#              managed nodes' Pythons on Debian 12 and 13); a version not installed is skipped.
#              VENV            the venv whose ansible-test runs (default .venv; tools/matrix.sh
#                              passes one per ansible-core minor)
#              SANITY_WORK     where the copy, the report and ansible-test's own venvs live (default
#                              $TICKSTACK_CACHE/sanity; one per VENV when several run at once)
#
# ansible-test keeps its sanity venvs and its get-pip cache under ~/.ansible/test (a fixed
# `~`, no setting moves it), so it runs with HOME=$SANITY_WORK/home: nothing is written to the
# real ~/.ansible, and those venvs are reused from there on the next run.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TICKSTACK_CACHE:-$HOME/.cache/tickstack}
venv=${VENV:-$repo/.venv}
case $venv in /*) ;; *) venv=$PWD/$venv ;; esac  # the Makefile's VENV is relative
work=${SANITY_WORK:-$cache/sanity}
case $work in /*) ;; *) work=$PWD/$work ;; esac
real_home=$HOME
test_home=$work/home
copy=$work/ansible_collections/tickstack/influx
pythons=${SANITY_PYTHONS:-3.11 3.13}

log() { printf '[sanity] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -x "$venv/bin/ansible-test" ] || die "no $venv/bin/ansible-test: run 'make venv' first"

# --- ignore files stay empty ---------------------------------------------------------------------
shopt -s nullglob
for ignore in "$repo"/tests/sanity/ignore-*.txt; do
  if grep -qv '^[[:space:]]*$' "$ignore"; then
    die "${ignore#"$repo"/} is not empty: fix the code instead of ignoring the sanity error"
  fi
done
shopt -u nullglob

# --- pip bootstrap stand-in ----------------------------------------------------------------------
# Sanity venvs are bootstrapped with get-pip-<version>.py downloaded from a host this network does
# not reach; ansible-test uses a cached copy when there is one. This stand-in does the same job with
# the venv's own ensurepip, then installs the requested pip from the package index.
pip_version=$("$venv/bin/python" - <<'EOF'
import re, ansible_test, pathlib
source = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"default_packages = dict\(\s*pip='([0-9.]+)'", source).group(1))
EOF
) || die "cannot tell which pip version ansible-test bootstraps"
get_pip=$test_home/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -f "$get_pip" ] || grep -q 'tickstack.influx stand-in' "$get_pip"; then
  mkdir -p "$(dirname "$get_pip")"
  cat >"$get_pip" <<'EOF'
"""tickstack.influx stand-in for get-pip.py (written by tools/sanity.sh).

Called as `python get_pip.py [pip options] pip==X ... [--no-setuptools] [--no-wheel]` inside a new
venv: bootstrap pip with ensurepip, then install the requested packages with that pip.
"""
import os
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
# ensurepip runs pip with PIP_CONFIG_FILE=/dev/null; the next pip must read the machine's config
# (CA bundle, index) again.
env = {k: v for k, v in os.environ.items() if k != "PIP_CONFIG_FILE"}
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args], env=env))
EOF
fi

# --- extra target Pythons ------------------------------------------------------------------------
# Module code runs on the managed nodes' Python (Debian 12: 3.11, Debian 13: 3.13); ansible-test
# looks for pythonX.Y on PATH. pyenv installs them without putting them on PATH, so link those found.
bin=$work/bin
rm -rf "$bin"; mkdir -p "$bin"
python_args=()
for version in $pythons; do
  found=""
  for candidate in "$venv/bin/python$version" "${PYENV_ROOT:-$real_home/.pyenv}"/versions/"$version".*/bin/python"$version" \
                   /usr/bin/python"$version" /usr/local/bin/python"$version"; do
    if [ -x "$candidate" ] && "$candidate" -c 'import venv, ensurepip' 2>/dev/null; then
      found=$candidate; break
    fi
  done
  if [ -n "$found" ]; then
    ln -s "$found" "$bin/python$version"
    python_args+=("$version")
  else
    log "Python $version not found: its sanity tests are skipped"
  fi
done
[ ${#python_args[@]} -gt 0 ] || die "none of the Python versions '$pythons' is installed"

# --- a clean copy at ansible_collections/tickstack/influx ----------------------------------------
rm -rf "$work/ansible_collections"
mkdir -p "$copy"
cd "$repo"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | grep -zv '^tests/output/' \
    | xargs -0 cp --parents -P -t "$copy"
else
  tar -C "$repo" --exclude=./.git --exclude=./.venv --exclude='./.venv-*' --exclude=./tests/output \
      --exclude='*/__pycache__' --exclude=./.pytest_cache --exclude=./.ruff_cache -cf - . | tar -C "$copy" -xf -
fi

# --- run ------------------------------------------------------------------------------------------
# One run: ansible-test runs every test with the controller's Python (.venv) and repeats the
# version-dependent ones (compile, import) for each other pythonX.Y it finds on PATH. pyenv's shims
# answer for versions that are not active, so they are taken off PATH and only the links above count.
cd "$copy"
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v '/\.pyenv/shims$' | paste -sd: -)
export PATH=$bin:$venv/bin:$PATH
# ansible-test's venvs, get-pip cache and pip's cache under $test_home, not the real ~ (see above).
mkdir -p "$test_home"
export HOME=$test_home PIP_CACHE_DIR=$test_home/.cache/pip
log "ansible-test sanity on Python ${python_args[*]} (report: $copy/tests/output/)"
# A single Python asked for is the only one: ansible-test would also take any other pythonX.Y it
# finds on PATH (/usr/bin/python3.11 here).
only=()
[ ${#python_args[@]} -eq 1 ] && only=(--python "${python_args[0]}")
if ! "$venv/bin/ansible-test" sanity --local --requirements --color no "${only[@]}" "$@"; then
  die "sanity errors above (full report: $copy/tests/output/)"
fi
log "ansible-test sanity: 0 errors"
