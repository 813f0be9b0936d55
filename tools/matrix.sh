#!/usr/bin/env bash
# The controller matrix: the gates that depend on ansible-core, once per ansible-core minor this
# collection claims (meta/runtime.yml requires_ansible), each in a venv of its own.
#
#   tools/matrix.sh <leg> [<leg> ...]   run legs, one after the other; a table of times at the end
#   tools/matrix.sh legs                list every leg
#   tools/matrix.sh venv <X.Y>          create (or reuse) the venv of ansible-core X.Y, print its path
#   tools/matrix.sh find-python <X.Y>   print the path of a Python X.Y (exit 1 saying where it looked)
#
# Legs: sanity-<X.Y>       tools/sanity.sh (ansible-test sanity, no ignores) on that venv
#       unit-<X.Y>         pytest tests/unit
#       integration-<X.Y>  pytest tests/integration (real servers, needs `make artifacts`)
# for X.Y in CORES below; `legs` lists sanity and unit for each, integration for the oldest and the
# newest (what `make matrix` runs). Venvs live in $TICKSTACK_CACHE/matrix/venvs/, one per ansible-core pin,
# Python and tests/requirements-matrix.txt (their hash is in the name): a changed pin makes a new
# venv, an unchanged one is reused. Logs: $TICKSTACK_CACHE/matrix/logs/<leg>.log.
#
# Sanity on the older legs tests module code with the leg's controller Python only
# (SANITY_PYTHONS=<its Python>): the managed nodes' Pythons (3.11, 3.13) are the newest leg's job
# (`make sanity` on .venv). MATRIX_SANITY_PYTHONS overrides that for every leg.
#
# Nothing here writes to ~/.ansible or ~/.cache outside $TICKSTACK_CACHE: pip's cache, ANSIBLE_HOME
# and ansible-test's HOME (tools/sanity.sh) all point into it.
set -euo pipefail

# ansible-core minor -> "pinned release  controller Python". The Python is one the release supports
# (pip's python_requires and the ansible-core support matrix: 2.17 3.10-3.12, 2.18/2.19 3.11-3.13,
# 2.20/2.21 3.12-3.14), spread so that every Python from 3.11 to 3.13 is a controller somewhere.
# 3.10 is not used: the unit tests read TOML back with tomllib (3.11+).
declare -A CORES=(
  [2.17]="2.17.14 3.12"
  [2.18]="2.18.19 3.11"
  [2.19]="2.19.14 3.11"
  [2.20]="2.20.10 3.12"
  [2.21]="2.21.5 3.13"
)
MINORS="2.17 2.18 2.19 2.20 2.21"

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TICKSTACK_CACHE:-$HOME/.cache/tickstack}
case $cache in /*) ;; *) cache=$PWD/$cache ;; esac
export TICKSTACK_CACHE=$cache
export TICKSTACK_ARTIFACTS=${TICKSTACK_ARTIFACTS:-$cache/artifacts}
work=$cache/matrix
export PIP_CACHE_DIR=$cache/pip
export ANSIBLE_HOME=$cache/ansible-home
requirements=$repo/tests/requirements-matrix.txt

log() { printf '[matrix] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# find_python X.Y: a Python X.Y that can make venvs. pyenv's versions are not on PATH here, so its
# directory is searched first; its shims are not used (they answer for versions not installed).
find_python() {
  local version=$1 candidate pyenv_root=${PYENV_ROOT:-$HOME/.pyenv} looked=()
  for candidate in "$pyenv_root"/versions/"$version".*/bin/python"$version" \
                   /usr/local/bin/python"$version" /usr/bin/python"$version" \
                   "$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v '/\.pyenv/shims$' | paste -sd: -) \
                        command -v python"$version" 2>/dev/null || true)"; do
    [ -n "$candidate" ] || continue
    looked+=("$candidate")
    if [ -x "$candidate" ] && "$candidate" -c 'import venv, ensurepip, ssl' 2>/dev/null; then
      printf '%s\n' "$candidate"; return 0
    fi
  done
  log "ERROR: no Python $version with venv, ensurepip and ssl found; looked in" \
      "$pyenv_root/versions/$version.*/bin/python$version, /usr/local/bin, /usr/bin and PATH." \
      "Install it (e.g. 'pyenv install $version') or set PYENV_ROOT."
  return 1
}

leg_core() {
  [ -n "${CORES[$1]:-}" ] || die "no ansible-core $1 in the matrix (have: $MINORS)"
  local core python; read -r core python <<<"${CORES[$1]}"; printf '%s' "$core"
}
leg_python() { local core python; read -r core python <<<"${CORES[$1]}"; printf '%s' "$python"; }

# ensure_venv X.Y: the venv of ansible-core X.Y, created when its requirements changed; prints its path.
ensure_venv() {
  local minor=$1 core python_version python key venv
  core=$(leg_core "$minor") python_version=$(leg_python "$minor")
  python=$(find_python "$python_version") || exit 1
  key=$( { printf 'ansible-core==%s\n%s\n' "$core" "$("$python" -V 2>&1)"; cat "$requirements"; } | sha256sum | cut -c1-12)
  venv=$work/venvs/core-$core-py$python_version-$key
  if [ ! -f "$venv/.complete" ]; then
    log "creating $venv (ansible-core $core, $("$python" -V 2>&1), tests/requirements-matrix.txt)"
    rm -rf "$venv"
    mkdir -p "$work/venvs"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip >&2
    "$venv/bin/python" -m pip install -q "ansible-core==$core" -r "$requirements" >&2
    [ "$("$venv/bin/python" -c 'import ansible.release as r; print(r.__version__)')" = "$core" ] \
      || die "$venv does not hold ansible-core $core"
    touch "$venv/.complete"
    # Old venvs of the same ansible-core (an earlier pin of the requirements) are dropped.
    find "$work/venvs" -mindepth 1 -maxdepth 1 -name "core-$core-py$python_version-*" ! -path "$venv" -exec rm -rf {} +
  fi
  printf '%s\n' "$venv"
}

# run_leg <leg>: the gate on its venv, output in its log.
run_leg() {
  local leg=$1 gate minor venv logfile
  gate=${leg%-*} minor=${leg##*-}
  case $gate in sanity|unit|integration) ;; *) die "unknown leg $leg (tools/matrix.sh legs lists them)" ;; esac
  leg_core "$minor" >/dev/null
  venv=$(ensure_venv "$minor")
  logfile=$work/logs/$leg.log
  mkdir -p "$work/logs"
  # Every checkout of the collection on a path of its own, as the Makefile's `collections` does.
  local collections
  collections=$cache/collections/$(printf '%s' "$repo" | sha256sum | cut -c1-12)
  mkdir -p "$collections/ansible_collections/tickstack"
  ln -sfn "$repo" "$collections/ansible_collections/tickstack/influx"
  cd "$repo"
  case $gate in
    sanity)
      VENV=$venv SANITY_WORK=$work/sanity-$minor \
        SANITY_PYTHONS=${MATRIX_SANITY_PYTHONS:-$(leg_python "$minor")} \
        "$repo/tools/sanity.sh" ;;
    unit)
      ANSIBLE_COLLECTIONS_PATH=$collections PATH=$venv/bin:$PATH \
        "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit ;;
    integration)
      ANSIBLE_COLLECTIONS_PATH=$collections PATH=$venv/bin:$PATH \
        "$venv/bin/python" -m pytest -q -p no:cacheprovider -n "${MATRIX_INTEGRATION_WORKERS:-2}" --dist loadfile tests/integration ;;
  esac >"$logfile" 2>&1
}

case ${1:-} in
  ""|-h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  legs)
    for gate in sanity unit; do for minor in $MINORS; do echo "$gate-$minor"; done; done
    echo "integration-${MINORS%% *}"; echo "integration-${MINORS##* }"
    exit 0 ;;
  find-python) find_python "${2:?find-python X.Y}"; exit ;;
  venv) ensure_venv "${2:?venv X.Y}"; exit ;;
esac

for leg in "$@"; do
  [[ $leg =~ ^(sanity|unit|integration)-([0-9]+\.[0-9]+)$ ]] && [ -n "${CORES[${BASH_REMATCH[2]}]:-}" ] \
    || die "unknown leg '$leg': $0 legs lists them"
done
declare -A took status
failed=0
for leg in "$@"; do
  start=$(date +%s)
  log "$leg: ansible-core $(leg_core "${leg##*-}") on Python $(leg_python "${leg##*-}") (log: $work/logs/$leg.log)"
  if (run_leg "$leg"); then status[$leg]=pass; else status[$leg]=FAIL; failed=1; fi
  took[$leg]=$(( $(date +%s) - start ))
  log "$leg: ${status[$leg]} in ${took[$leg]} s"
  if [ "${status[$leg]}" = FAIL ]; then tail -n 40 "$work/logs/$leg.log" >&2 || true; fi
done
printf '[matrix] %-18s %-6s %s\n' leg result seconds >&2
for leg in "$@"; do printf '[matrix] %-18s %-6s %s\n' "$leg" "${status[$leg]}" "${took[$leg]}" >&2; done
exit $failed
