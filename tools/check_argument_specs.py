#!/usr/bin/env python
"""Every public role variable is documented in the role's argument spec, and every spec option has a default.

For each ``roles/<role>/``:

* a public variable (no leading ``_``) in ``defaults/main.yml`` (or ``defaults/main/*.yml``) must be
  an option of the ``main`` entry point in ``meta/argument_specs.yml``;
* an option of that entry point must have a value in the defaults, unless it is ``required: true``
  (a required variable has no default by definition);
* where the spec states a ``default`` and the defaults hold a literal value (no Jinja), the two must
  be equal: ansible-doc shows the spec's, the role uses defaults/main.yml's, and Ansible's guide asks
  that they match. A templated default may be paraphrased in the spec (``..._linux_<arch>.tar.gz``).

Role-internal variables (``_role_x``, ``__role_x``) are left out both ways. Exits 1 naming each
variable and file that breaks a rule, 0 when every role is consistent.

Usage: tools/check_argument_specs.py [ROLES_DIR]   (default: roles/ beside this script's parent)
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ENTRY_POINT = "main"


def load_yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level, found {type(data).__name__}")
    return data


def defaults_files(role: Path) -> list[Path]:
    """defaults/main.yml, or every file of a defaults/main/ directory (ansible-core reads both)."""
    files = [role / "defaults" / name for name in ("main.yml", "main.yaml")]
    directory = role / "defaults" / "main"
    if directory.is_dir():
        files += sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml"))
    return [path for path in files if path.is_file()]


def spec_file(role: Path) -> Path | None:
    for name in ("argument_specs.yml", "argument_specs.yaml"):
        if (role / "meta" / name).is_file():
            return role / "meta" / name
    return None


def is_public(name: str) -> bool:
    return not name.startswith("_")


def is_templated(value: object) -> bool:
    return any(marker in repr(value) for marker in ("{{", "{%"))


def check_role(role: Path, repo: Path) -> list[str]:
    problems: list[str] = []
    defaults: dict[str, tuple[object, Path]] = {}
    for path in defaults_files(role):
        for name, value in load_yaml(path).items():
            if is_public(name):
                defaults[name] = (value, path)

    spec_path = spec_file(role)
    if spec_path is None:
        if defaults:
            first = next(iter(defaults.values()))[1]
            problems.append(f"{first.relative_to(repo)}: role '{role.name}' has public variables "
                            f"{sorted(defaults)} but no meta/argument_specs.yml")
        return problems

    rel_spec = spec_path.relative_to(repo)
    entry = (load_yaml(spec_path).get("argument_specs") or {}).get(ENTRY_POINT)
    if entry is None:
        problems.append(f"{rel_spec}: no argument_specs.{ENTRY_POINT} entry point")
        return problems
    options = {name: opt or {} for name, opt in (entry.get("options") or {}).items() if is_public(name)}

    for name, (value, path) in sorted(defaults.items()):
        rel = path.relative_to(repo)
        if name not in options:
            problems.append(f"{rel}: variable '{name}' is not documented in {rel_spec} "
                            f"(argument_specs.{ENTRY_POINT}.options)")
        elif "default" in options[name] and not is_templated(value) and options[name]["default"] != value:
            problems.append(f"{rel_spec}: '{name}' has default {options[name]['default']!r}, "
                            f"but {rel} sets {value!r}")

    for name, option in sorted(options.items()):
        if name not in defaults and not option.get("required", False):
            problems.append(f"{rel_spec}: option '{name}' is neither required nor set in "
                            f"{role.relative_to(repo)}/defaults/main.yml")
        if name not in defaults and option.get("required", False) and "default" in option:
            problems.append(f"{rel_spec}: option '{name}' is required but has a default")
    return problems


def main(argv: list[str]) -> int:
    repo = Path(__file__).resolve().parent.parent
    roles_dir = Path(argv[1]).resolve() if len(argv) > 1 else repo / "roles"
    if not roles_dir.is_dir():
        print(f"check_argument_specs: no roles directory at {roles_dir}", file=sys.stderr)
        return 1
    base = roles_dir.parent
    roles = sorted(path for path in roles_dir.iterdir() if path.is_dir() and not path.name.startswith("."))
    problems: list[str] = []
    for role in roles:
        try:
            problems += check_role(role, base)
        except (ValueError, yaml.YAMLError) as exc:
            problems.append(str(exc))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check_argument_specs: {len(problems)} problem(s) in {roles_dir.relative_to(base)}/",
              file=sys.stderr)
        return 1
    print(f"check_argument_specs: {len(roles)} role(s) consistent: {', '.join(r.name for r in roles) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
