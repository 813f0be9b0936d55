#!/usr/bin/env bash
# Execution environment gate (no container is built):
#   1. `ansible-builder create` renders a build context from the example EE definition users start
#      from (docs/execution-environment/execution-environment.yml), with its requirements.yml;
#   2. the introspection script from that context — the one the image build runs over every
#      installed collection — reads this collection's meta/execution-environment.yml and the files
#      it names, and reports their requirements under tickstack.influx.
# meta/execution-environment.yml is the collection-level file (paths relative to the collection
# root), which is what ansible-builder and galaxy-importer read from an installed collection; it is
# not itself an EE definition, hence the example under docs/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TICKSTACK_CACHE:-$HOME/.cache/tickstack}
venv=${VENV:-$repo/.venv}
case $venv in /*) ;; *) venv=$PWD/$venv ;; esac  # the Makefile's VENV is relative
definition=$repo/docs/execution-environment/execution-environment.yml
work=$cache/ee

log() { printf '[ee] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ -x "$venv/bin/ansible-builder" ] || die "no $venv/bin/ansible-builder: pip install -r tests/requirements-gates.txt"

rm -rf "$work"
mkdir -p "$work/collections/ansible_collections/tickstack"

log "ansible-builder create -f ${definition#"$repo"/}"
"$venv/bin/ansible-builder" create -f "$definition" -c "$work/context" --output-filename Containerfile >/dev/null
for file in Containerfile _build/requirements.yml _build/scripts/introspect.py; do
  [ -s "$work/context/$file" ] || die "build context lacks $file"
done
grep -q 'ansible-galaxy collection install .*-r requirements.yml' "$work/context/Containerfile" \
  || die "Containerfile does not install the collections from requirements.yml"
"$venv/bin/python" - "$work/context/_build/requirements.yml" <<'EOF' || die "_build/requirements.yml does not name tickstack.influx"
import sys, yaml
names = [c["name"] if isinstance(c, dict) else c for c in yaml.safe_load(open(sys.argv[1]))["collections"]]
sys.exit(0 if "tickstack.influx" in names else 1)
EOF

# The collection as an EE build sees it: installed under ansible_collections/tickstack/influx.
ln -s "$repo" "$work/collections/ansible_collections/tickstack/influx"
log "introspect.py (from the build context) over this collection's meta/execution-environment.yml"
"$venv/bin/python" "$work/context/_build/scripts/introspect.py" introspect \
  --write-pip "$work/requirements.txt" --write-bindep "$work/bindep.txt" "$work/collections" \
  >"$work/introspect.out" 2>&1 || { cat "$work/introspect.out" >&2; die "introspection failed"; }
"$venv/bin/python" - "$repo" "$work" <<'EOF' || die "introspection does not match meta/"
import pathlib, sys, yaml
repo, work = map(pathlib.Path, sys.argv[1:])
meta = yaml.safe_load((repo / "meta" / "execution-environment.yml").read_text())
deps = meta.get("dependencies") or {}
for kind, out in (("python", "requirements.txt"), ("system", "bindep.txt")):
    if not deps.get(kind) or not (repo / deps[kind]).is_file():
        sys.exit(f"meta/execution-environment.yml: dependencies.{kind} names no existing file ({deps.get(kind)})")
    declared = [line.split("#")[0].strip() for line in (repo / deps[kind]).read_text().splitlines()]
    declared = [line for line in declared if line]
    found = (work / out).read_text() if (work / out).exists() else ""
    missing = [req for req in declared if req not in found]
    if missing:
        sys.exit(f"{deps[kind]}: {missing} missing from the introspected {out}")
    print(f"[ee] {kind}: {len(declared)} requirement(s) from {deps[kind]}", file=sys.stderr)
EOF
log "build context renders and the collection's EE requirements are read (context: $work/context)"
