#!/usr/bin/env bash
# Documentation gates, quick enough to run before every commit:
#   1. antsibull-docs lint-collection-docs --plugin-docs: every module's and role's documentation
#      parses, follows the schema, renders, and its references (O(), M(), ...) to this collection
#      and ansible.builtin resolve ("all" would load the ~100 collections of the ansible package: minutes);
#   2. antsibull-changelog lint: changelogs/ config and every fragment are valid;
#   3. tools/check_argument_specs.py: role defaults and meta/argument_specs.yml agree both ways;
#   4. tools/role_docs.py --check: docs/roles/*.md match the argument specs.
# Runs them all and fails at the end if any failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TICKSTACK_CACHE:-$HOME/.cache/tickstack}
venv=${VENV:-$repo/.venv}
case $venv in /*) ;; *) venv=$PWD/$venv ;; esac  # the Makefile's VENV is relative
export PATH=$venv/bin:$PATH

log() { printf '[docs] %s\n' "$*" >&2; }
for tool in antsibull-docs antsibull-changelog ansible-doc; do
  [ -x "$venv/bin/$tool" ] || { log "ERROR: no $venv/bin/$tool: pip install -r tests/requirements-gates.txt"; exit 1; }
done

# antsibull-docs finds the collection through its ansible_collections/<namespace>/<name> path.
tree=$cache/docs-lint
mkdir -p "$tree/ansible_collections/tickstack"
ln -sfn "$repo" "$tree/ansible_collections/tickstack/influx"
export ANSIBLE_COLLECTIONS_PATH=$tree

failed=()
run() {
  local name=$1; shift
  log "$name"
  "$@" || failed+=("$name")
}
run "antsibull-docs lint-collection-docs" \
  antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs dependent \
    --disallow-unknown-collection-refs "$tree/ansible_collections/tickstack/influx"
changelog_lint() { (cd "$repo" && antsibull-changelog lint); }
run "antsibull-changelog lint" changelog_lint
run "role argument specs vs defaults" "$venv/bin/python" "$repo/tools/check_argument_specs.py"
run "role docs current" "$venv/bin/python" "$repo/tools/role_docs.py" --check

if [ ${#failed[@]} -gt 0 ]; then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "all documentation gates passed"
