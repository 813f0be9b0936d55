#!/usr/bin/env bash
# The path a Galaxy user takes, end to end, without Galaxy:
#   1. `ansible-galaxy collection build` the checkout, and check what the tarball holds (build_ignore);
#   2. `ansible-galaxy collection install` the tarball into an empty collections path;
#   3. from that installed copy only (the checkout is not on the collections path): ansible-doc
#      for every module and role, then a playbook (check mode) that uses the action groups, expects a
#      clean failure from the info modules against a closed port, and runs each role's argument
#      spec validation (valid arguments accepted, invalid ones rejected before the role's first task);
#   4. galaxy-importer (Galaxy's own import checks, ansible-lint included) on the tarball, from a venv
#      of its own under $TICKSTACK_CACHE: it pins its own ansible-lint, which must not touch .venv.
#      Offline: its container-based ansible-test step is off (tools/sanity.sh covers ansible-test).
#
# Usage: tools/check_collection.sh [--skip-importer]
# The tarball is left in $TICKSTACK_CACHE/collection/dist/.
set -euo pipefail

GALAXY_IMPORTER_VERSION=0.4.44
# The importer runs in a venv of its own on the system python3 (3.11 on Debian 12), so on the
# newest ansible-core that Python takes (2.19); .venv is 2.21 on 3.13, and the matrix covers 2.17-2.21.
IMPORTER_ANSIBLE_CORE=2.19.14

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TICKSTACK_CACHE:-$HOME/.cache/tickstack}
venv=${VENV:-$repo/.venv}
case $venv in /*) ;; *) venv=$PWD/$venv ;; esac  # the Makefile's VENV is relative
work=$cache/collection
skip_importer=false
[ "${1:-}" = "--skip-importer" ] && skip_importer=true

log() { printf '[collection] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ -x "$venv/bin/ansible-galaxy" ] || die "no $venv/bin/ansible-galaxy: run 'make venv' first"

rm -rf "$work/dist" "$work/collections" "$work/run"
mkdir -p "$work/dist" "$work/collections" "$work/run"

# --- 1. build ------------------------------------------------------------------------------------
read -r namespace name version < <("$venv/bin/python" -c '
import sys, yaml
g = yaml.safe_load(open(sys.argv[1]))
print(g["namespace"], g["name"], g["version"])' "$repo/galaxy.yml")
log "ansible-galaxy collection build ($namespace.$name $version)"
"$venv/bin/ansible-galaxy" collection build "$repo" --output-path "$work/dist" --force >/dev/null
tarball=$work/dist/$namespace-$name-$version.tar.gz
[ -f "$tarball" ] || die "build produced no $tarball"

tar -tzf "$tarball" | sed 's|/$||' | sort >"$work/dist/contents.txt"
for wanted in MANIFEST.json FILES.json README.md meta/runtime.yml \
              meta/execution-environment.yml changelogs/changelog.yaml; do
  grep -qx "$wanted" "$work/dist/contents.txt" || die "tarball lacks $wanted"
done
if leaked=$(grep -E '^(tests|extensions/molecule|tools|\.ci|\.config|\.venv[^/]*|\.git|\.pytest_cache|\.ruff_cache|build)(/|$)|^(Makefile|pytest\.ini)$|__pycache__|\.pyc$' \
              "$work/dist/contents.txt"); then
  die "tarball holds development files (add them to build_ignore in galaxy.yml):
$leaked"
fi
log "tarball: $(wc -l <"$work/dist/contents.txt") entries, $(du -h "$tarball" | cut -f1), no development files"

# --- 2. install into an empty collections path ---------------------------------------------------
# Only the installed copy may be found: no checkout symlink (the Makefile exports one), no
# collections next to the playbook.
export ANSIBLE_COLLECTIONS_PATH=$work/collections
unset ANSIBLE_COLLECTIONS_PATHS
export ANSIBLE_ROLES_PATH=$work/run/roles
export ANSIBLE_LOCAL_TEMP=$work/run/tmp ANSIBLE_HOME=$work/run/ansible-home
export ANSIBLE_NOCOLOR=1 ANSIBLE_DEPRECATION_WARNINGS=1
log "ansible-galaxy collection install (offline) into an empty collections path"
"$venv/bin/ansible-galaxy" collection install --offline "$tarball" -p "$work/collections" >/dev/null
installed=$work/collections/ansible_collections/$namespace/$name
[ -f "$installed/MANIFEST.json" ] || die "nothing installed at $installed"

# --- 3. use it -----------------------------------------------------------------------------------
cd "$work/run"
# module_names DIR: the modules in a plugins/modules directory, sorted, one per line.
module_names() {
  [ -d "$1" ] || return 0
  find "$1" -maxdepth 1 -name '*.py' ! -name '__init__.py' -printf '%f\n' | sed 's/\.py$//' | sort
}
modules=$(module_names "$installed/plugins/modules")
[ "$modules" = "$(module_names "$repo/plugins/modules")" ] \
  || die "installed modules differ from plugins/modules/: [$modules] vs [$(module_names "$repo/plugins/modules")]"
roles=()
if [ -d "$installed/roles" ]; then
  mapfile -t roles < <(find "$installed/roles" -mindepth 1 -maxdepth 1 -type d ! -name '_*' -printf '%f\n' | sort)
fi

listed=$("$venv/bin/ansible-doc" -t module -l "$namespace.$name" 2>/dev/null | awk '{print $1}' | sed "s/^$namespace\.$name\.//" | sort)
[ "$listed" = "$(printf '%s\n' "$modules" | sed '/^$/d' | sort)" ] \
  || die "ansible-doc -l lists [$listed], installed modules are [$modules]"
module_fqcns=() role_fqcns=()
for module in $modules; do module_fqcns+=("$namespace.$name.$module"); done
for role in "${roles[@]}"; do
  if [ -f "$installed/roles/$role/meta/argument_specs.yml" ]; then role_fqcns+=("$namespace.$name.$role"); fi
done
# One ansible-doc call per plugin type: it fails on the first one whose docs do not load.
if [ ${#module_fqcns[@]} -gt 0 ]; then
  "$venv/bin/ansible-doc" -t module "${module_fqcns[@]}" >/dev/null 2>"$work/run/ansible-doc.err" \
    || { cat "$work/run/ansible-doc.err" >&2; die "ansible-doc -t module failed on the installed copy"; }
fi
if [ ${#role_fqcns[@]} -gt 0 ]; then
  "$venv/bin/ansible-doc" -t role "${role_fqcns[@]}" >/dev/null 2>"$work/run/ansible-doc.err" \
    || { cat "$work/run/ansible-doc.err" >&2; die "ansible-doc -t role failed on the installed copy"; }
fi
log "ansible-doc renders ${#module_fqcns[@]} module(s) and ${#role_fqcns[@]} role spec(s) from the installed copy"

# Per role: the spec, arguments it must accept (its literal defaults plus a value of the right
# type for each required option) and arguments it must reject.
"$venv/bin/python" - "$installed" "${roles[@]}" >"$work/run/role_cases.json" <<'EOF'
import json, pathlib, sys, yaml

installed, roles = pathlib.Path(sys.argv[1]), sys.argv[2:]
SAMPLE = {"str": "placeholder", "path": "/tmp/placeholder", "raw": "placeholder", "int": 1,
          "float": 1.5, "bool": True, "list": [], "dict": {}}
WRONG = {"int": "not-a-number", "float": "not-a-number", "bool": "not-a-bool",
         "list": {"not": "a list"}, "dict": ["not", "a", "dict"]}

def literal(value):
    return "{{" not in json.dumps(value) and "{%" not in json.dumps(value)

cases = []
for role in roles:
    spec_file = installed / "roles" / role / "meta" / "argument_specs.yml"
    if not spec_file.is_file():
        continue
    options = ((yaml.safe_load(spec_file.read_text()) or {}).get("argument_specs", {}).get("main") or {}).get("options") or {}
    defaults_file = installed / "roles" / role / "defaults" / "main.yml"
    defaults = (yaml.safe_load(defaults_file.read_text()) or {}) if defaults_file.is_file() else {}
    valid = {k: v for k, v in defaults.items() if k in options and literal(v)}
    required = [k for k, o in options.items() if (o or {}).get("required")]
    for key in required:
        opt = options[key] or {}
        valid.setdefault(key, opt["choices"][0] if opt.get("choices") else SAMPLE.get(opt.get("type", "str"), "x"))
    if required:
        invalid, why = {}, f"required option {required[0]} missing"
    else:
        typed = [k for k, o in options.items() if (o or {}).get("type") in WRONG]
        if not typed:
            invalid, why = None, "no required or typed option to break"
        else:
            invalid = {typed[0]: WRONG[options[typed[0]]["type"]]}
            why = f"{typed[0]} of the wrong type"
    cases.append({"name": role, "spec": options, "valid": valid, "invalid": invalid, "why": why})
json.dump(cases, sys.stdout)
EOF

{
  cat <<EOF
---
# Written by tools/check_collection.sh; runs against the installed copy of $namespace.$name only.
- name: Modules from the installed collection
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/$namespace.$name.influxdb2:
      url: http://127.0.0.1:9
      token: not-a-real-token
    group/$namespace.$name.kapacitor:
      url: http://127.0.0.1:9
  tasks:
EOF
  for module in influxdb2_info kapacitor_info; do
    grep -qx "$module" <<<"$modules" || continue
    cat <<EOF
    - name: $module fails cleanly when nothing listens (url and token from module_defaults)
      $namespace.$name.$module:
      register: unreachable
      ignore_errors: true

    - name: $module failure is a message, not a traceback
      ansible.builtin.assert:
        that:
          - unreachable is failed
          - unreachable.msg is defined
          - unreachable.module_stderr is not defined
          - "'Traceback' not in (unreachable.msg | string)"
          - "'127.0.0.1:9' in (unreachable.msg | string)"
        fail_msg: "{{ unreachable | ansible.builtin.to_json }}"

EOF
  done
  cat <<EOF
    - name: The play ran from the installed copy
      ansible.builtin.assert:
        that: true
        success_msg: "collection at $installed"

# Facts as a normal play has them: role defaults may use them (e.g. the CPU architecture).
- name: Role argument specs from the installed collection
  hosts: localhost
  connection: local
  gather_facts: true
  gather_subset: [min]
  vars:
    role_cases: "{{ lookup('ansible.builtin.file', 'role_cases.json') | from_json }}"
  tasks:
    - name: Each role's spec accepts its own defaults
      ansible.builtin.validate_argument_spec:
        argument_spec: "{{ item.spec }}"
        provided_arguments: "{{ item.valid }}"
      loop: "{{ role_cases }}"
      loop_control:
        label: "{{ item.name }}"
EOF
  "$venv/bin/python" - "$work/run/role_cases.json" "$namespace.$name" <<'EOF'
import json, sys, yaml
cases, fqcn = json.load(open(sys.argv[1])), sys.argv[2]
tasks = []
for i, case in enumerate(cases):
    if case["invalid"] is None:
        continue
    role = f"{fqcn}.{case['name']}"
    tasks += [
        {"name": f"Role {case['name']} rejects bad arguments ({case['why']})",
         "block": [{"name": f"Include {role} with bad arguments",
                    "ansible.builtin.include_role": {"name": role},
                    "vars": case["invalid"]}],
         "rescue": [{"name": "The role stopped at its argument validation",
                     "ansible.builtin.assert": {
                         "that": ["ansible_failed_result.argument_errors is defined",
                                  "ansible_failed_result.argument_errors | length > 0"],
                         "fail_msg": "failed elsewhere: {{ ansible_failed_task.name }}: "
                                     "{{ ansible_failed_result.msg | default('') }}"}},
                    {"name": "Count the rejection", "ansible.builtin.set_fact": {f"rejected_{i}": True}}]},
        {"name": f"Role {case['name']} did reject them",
         "ansible.builtin.assert": {"that": f"rejected_{i} | default(false)",
                                    "fail_msg": f"{role} accepted {json.dumps(case['invalid'])}"}},
    ]
if tasks:
    text = yaml.safe_dump(tasks, sort_keys=False, width=1000)
    print("\n".join("    " + line if line else line for line in text.splitlines()))
EOF
} >"$work/run/installed.yml"

log "ansible-playbook --check installed.yml (modules, action groups, role argument specs)"
"$venv/bin/ansible-playbook" -i localhost, --check -e "ansible_python_interpreter=$venv/bin/python" "$work/run/installed.yml" >"$work/run/playbook.log" 2>&1 \
  || { cat "$work/run/playbook.log" >&2; die "the playbook against the installed collection failed"; }
grep -A3 '^PLAY RECAP' "$work/run/playbook.log" >&2

# The shipped playbooks parse against the installed copy: examples by path, collection playbooks
# by FQCN (`ansible-playbook tickstack.influx.site`), with an inventory that has their groups.
printf '[influxdb]\ninflux1\n[kapacitor]\nkapa1\n[telegraf]\ntele1\n' >"$work/run/inventory.ini"
checked=0
for playbook in "$installed"/playbooks/examples/*.yml "$installed"/playbooks/*.yml; do
  [ -f "$playbook" ] || continue
  target=$playbook
  case $playbook in
    "$installed"/playbooks/examples/*) ;;
    *) target=$namespace.$name.$(basename "$playbook" .yml) ;;
  esac
  "$venv/bin/ansible-playbook" --syntax-check -i "$work/run/inventory.ini" "$target" >"$work/run/syntax.log" 2>&1 \
    || { cat "$work/run/syntax.log" >&2; die "ansible-playbook --syntax-check $target failed"; }
  checked=$((checked + 1))
done
log "ansible-playbook --syntax-check: $checked shipped playbook(s) parse"

# --- 4. galaxy-importer ----------------------------------------------------------------------------
if $skip_importer; then
  log "galaxy-importer skipped (--skip-importer)"
  exit 0
fi
importer_venv=$cache/venvs/galaxy-importer-$GALAXY_IMPORTER_VERSION
importer_pkgs=("galaxy-importer==$GALAXY_IMPORTER_VERSION" "ansible-core==$IMPORTER_ANSIBLE_CORE")
stamp=${importer_pkgs[*]}
if [ "$(cat "$importer_venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
  log "creating $importer_venv ($stamp)"
  rm -rf "$importer_venv"
  python3 -m venv "$importer_venv"
  "$importer_venv/bin/python" -m pip install -q --upgrade pip
  "$importer_venv/bin/python" -m pip install -q "${importer_pkgs[@]}"
  printf '%s' "$stamp" >"$importer_venv/.stamp"
fi
cat >"$work/run/galaxy-importer.cfg" <<'EOF'
[galaxy-importer]
# ansible-test runs in a container pulled from the internet; tools/sanity.sh runs it instead.
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
CHECK_REQUIRED_TAGS = True
CHECK_CHANGELOG = True
LOG_LEVEL_MAIN = INFO
EOF
log "galaxy-importer $GALAXY_IMPORTER_VERSION on $(basename "$tarball")"
cd "$work/run"
# Its own HOME: ansible-lint would otherwise also lint whatever sits in ~/.ansible/collections.
mkdir -p "$work/run/importer-home"
if ! HOME=$work/run/importer-home GALAXY_IMPORTER_CONFIG=$work/run/galaxy-importer.cfg PATH=$importer_venv/bin:$PATH \
     "$importer_venv/bin/python" -m galaxy_importer.main "$tarball" >"$work/run/importer.log" 2>&1 \
   || grep -q '^ERROR:' "$work/run/importer.log"; then
  grep -v '^Loading ' "$work/run/importer.log" >&2
  die "galaxy-importer rejected the collection (log: $work/run/importer.log)"
fi
# Galaxy accepts a collection with warnings and shows them on its page (ansible-lint's among them).
# GALAXY_IMPORTER_STRICT=1 fails on them too.
warnings=$(grep -c '^WARNING:' "$work/run/importer.log" || true)
if [ "$warnings" -gt 0 ]; then
  grep '^WARNING:' "$work/run/importer.log" | cut -c1-240 >&2
  [ "${GALAXY_IMPORTER_STRICT:-0}" = 1 ] && die "galaxy-importer: $warnings warning(s) (GALAXY_IMPORTER_STRICT=1)"
  log "galaxy-importer: imported, with $warnings warning(s) above (log: $work/run/importer.log)"
else
  log "galaxy-importer: imported, no warnings (log: $work/run/importer.log)"
fi
