#!/usr/bin/env python
"""Write docs/roles/<role>.md from each role's meta/argument_specs.yml (the one source of role docs).

    tools/role_docs.py                  rewrite docs/roles/*.md
    tools/role_docs.py --check          exit 1 naming every page that is missing, stale or orphaned
    tools/role_docs.py --role-readmes   also roles/<role>/README.md (Galaxy's importer requires a
                                        README in every role); with --check, check those too

Descriptions use Ansible's doc markup (C(), O(), V(), I(), B(), U(), L(), M(), ...), parsed with
antsibull-docs-parser. A default shown is the spec's ``default`` or, where the spec has none, the
value in the role's defaults/main.yml (tools/check_argument_specs.py keeps the two equal).
Roles whose name starts with ``_`` are internal and get no page.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml
from antsibull_docs_parser import dom
from antsibull_docs_parser.md import to_md
from antsibull_docs_parser.md import MDFormatter
from antsibull_docs_parser.parser import Context, parse

REPO = Path(__file__).resolve().parent.parent
COLLECTION = "tickstack.influx"
GENERATOR = "tools/role_docs.py"


def code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


class PlainMarkdown(MDFormatter):
    """Markdown a person can read in the raw file: backticks for code, escaping only what GFM needs."""

    @staticmethod
    def _escape(text: str) -> str:
        for char in "\\`*<>|[]":
            text = text.replace(char, "\\" + char)
        return text

    def format_text(self, part: dom.TextPart) -> str:
        return self._escape(part.text)

    def format_bold(self, part: dom.BoldPart) -> str:
        return f"**{self._escape(part.text)}**"

    def format_italic(self, part: dom.ItalicPart) -> str:
        return f"*{self._escape(part.text)}*"

    def format_code(self, part: dom.CodePart) -> str:
        return code(part.text)

    def format_option_value(self, part: dom.OptionValuePart) -> str:
        return code(part.value)

    def format_option_name(self, part: dom.OptionNamePart, url: str | None) -> str:
        return code(part.name if part.value is None else f"{part.name}={part.value}")

    def format_return_value(self, part: dom.ReturnValuePart, url: str | None) -> str:
        return code(part.name if part.value is None else f"{part.name}={part.value}")

    def format_env_variable(self, part: dom.EnvVariablePart) -> str:
        return code(part.name)

    def format_module(self, part: dom.ModulePart, url: str | None) -> str:
        return code(part.fqcn)

    def format_plugin(self, part: dom.PluginPart, url: str | None) -> str:
        return code(part.plugin.fqcn)

    def format_url(self, part: dom.URLPart) -> str:
        return f"<{part.url}>"

    def format_link(self, part: dom.LinkPart) -> str:
        return f"[{self._escape(part.text)}]({part.url})"

    def format_rst_ref(self, part: dom.RSTRefPart) -> str:
        return self._escape(part.text)

    def format_horizontal_line(self, part: dom.HorizontalLinePart) -> str:
        return "\n---\n"


FORMATTER = PlainMarkdown()


def markup(text: str | list[str] | None, role: str, entry_point: str) -> str:
    if not text:
        return ""
    context = Context(current_plugin=dom.PluginIdentifier(fqcn=f"{COLLECTION}.{role}", type="role"),
                      role_entrypoint=entry_point)
    return to_md(parse(text, context, errors="exception"), formatter=FORMATTER)


def load_yaml(path: Path) -> dict:
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def role_defaults(role: Path) -> dict:
    values: dict = {}
    for name in ("main.yml", "main.yaml"):
        values.update(load_yaml(role / "defaults" / name))
    directory = role / "defaults" / "main"
    if directory.is_dir():
        for path in sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml")):
            values.update(load_yaml(path))
    return values


def spec_path(role: Path) -> Path:
    yml = role / "meta" / "argument_specs.yml"
    return yml if yml.is_file() else role / "meta" / "argument_specs.yaml"


def render_value(value: object) -> list[str]:
    """A scalar or an empty collection inline; anything else as a YAML block."""
    if isinstance(value, str) and value and value == value.strip() and "\n" not in value and len(value) <= 120:
        return [f"- Default: {code(value)}"]
    if not isinstance(value, (dict, list, str)) or not value:
        return [f"- Default: {code(json.dumps(value))}"]
    if isinstance(value, str):
        return ["- Default:", "", "  ```", *("  " + line for line in value.splitlines()), "  ```"]
    block = yaml.safe_dump(value, default_flow_style=False, sort_keys=False, width=100).rstrip()
    return ["- Default:", "", "  ```yaml", *("  " + line for line in block.splitlines()), "  ```"]


def type_label(option: dict) -> str:
    kind = option.get("type", "str")
    if kind in ("list", "dict") and option.get("elements"):
        return f"{kind} of {option['elements']}"
    return kind


def render_option(name: str, option: dict, defaults: dict, role: str, entry_point: str,
                  depth: int) -> list[str]:
    option = option or {}
    heading = "#" * min(3 + depth, 6)
    lines = [f"{heading} {code(name)}", ""]
    facts = [f"- Type: {code(type_label(option))}"]
    if option.get("required"):
        facts.append("- Required: yes")
    if option.get("no_log"):
        facts.append("- Secret: yes (`no_log`)")
    if option.get("choices"):
        facts.append("- Choices: " + ", ".join(code(json.dumps(c) if not isinstance(c, str) else c)
                                               for c in option["choices"]))
    if option.get("version_added"):
        facts.append(f"- Added in: {option['version_added']}")
    if "default" in option:
        facts += render_value(option["default"])
    elif name in defaults:
        facts += render_value(defaults[name])
    lines += facts + [""]
    description = markup(option.get("description"), role, entry_point)
    if description:
        lines += [description, ""]
    for sub_name, sub in (option.get("options") or {}).items():
        lines += render_option(f"{name}{'[]' if option.get('type') == 'list' else ''}.{sub_name}", sub,
                               {}, role, entry_point, depth + 1)
    return lines


def render_role(role: Path) -> str:
    specs = load_yaml(spec_path(role)).get("argument_specs") or {}
    defaults = role_defaults(role)
    name = role.name
    rel_spec = spec_path(role).relative_to(REPO) if spec_path(role).is_file() else None
    main = specs.get("main") or {}
    lines = [f"# {COLLECTION}.{name}", "",
             f"<!-- Generated by {GENERATOR} from {rel_spec or f'roles/{name}'}; edit that file and rerun. -->",
             ""]
    if main.get("short_description"):
        lines += [markup(main["short_description"], name, "main"), ""]
    if not specs:
        lines += ["This role has no `meta/argument_specs.yml` yet.", ""]
    for entry_point, spec in specs.items():
        spec = spec or {}
        lines += [f"## Entry point {code(entry_point)}", ""]
        if entry_point != "main" and spec.get("short_description"):
            lines += [markup(spec["short_description"], name, entry_point), ""]
        description = markup(spec.get("description"), name, entry_point)
        if description:
            lines += [description, ""]
        if spec.get("author"):
            authors = spec["author"] if isinstance(spec["author"], list) else [spec["author"]]
            lines += ["Authors: " + ", ".join(authors), ""]
        options = spec.get("options") or {}
        if not options:
            lines += ["No variables.", ""]
            continue
        usage = f"{COLLECTION}.{name}" + ("" if entry_point == "main" else f" (tasks_from: {entry_point})")
        required = [opt for opt, o in options.items() if (o or {}).get("required")]
        needed = f"; required: {', '.join(code(r) for r in required)}." if required else "; none is required."
        lines += [f"Variables of {code(usage)}{needed}", ""]
        for opt_name, option in options.items():
            lines += render_option(opt_name, option, defaults if entry_point == "main" else {},
                                   name, entry_point, 0)
    return "\n".join(lines).rstrip() + "\n"


def render_index(roles: list[Path]) -> str:
    lines = ["# Roles", "", f"<!-- Generated by {GENERATOR}; do not edit. -->", "",
             "| Role | Purpose |", "| --- | --- |"]
    for role in roles:
        main = (load_yaml(spec_path(role)).get("argument_specs") or {}).get("main") or {}
        purpose = markup(main.get("short_description"), role.name, "main").replace("\n", " ")
        lines.append(f"| [{COLLECTION}.{role.name}]({role.name}.md) | {purpose} |")
    return "\n".join(lines) + "\n"


def pages(roles_dir: Path) -> dict[str, str]:
    roles = sorted(p for p in roles_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))) \
        if roles_dir.is_dir() else []
    out = {f"{role.name}.md": render_role(role) for role in roles}
    out["README.md"] = render_index(roles)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the pages are not current")
    parser.add_argument("--role-readmes", action="store_true", help="also roles/<role>/README.md")
    args = parser.parse_args()
    out_dir = REPO / "docs" / "roles"
    wanted = {out_dir / name: text for name, text in pages(REPO / "roles").items()}
    present = set(out_dir.glob("*.md")) if out_dir.is_dir() else set()
    if args.role_readmes:
        readmes = {REPO / "roles" / name[:-3] / "README.md": text
                   for name, text in pages(REPO / "roles").items() if name != "README.md"}
        wanted.update(readmes)
        present |= {path for path in readmes if path.exists()}

    def rel(path: Path) -> str:
        return str(path.relative_to(REPO))

    if args.check:
        problems = [f"{rel(p)}: missing" for p in sorted(set(wanted) - present)]
        problems += [f"{rel(p)}: stale" for p in sorted(set(wanted) & present)
                     if p.read_text(encoding="utf-8") != wanted[p]]
        problems += [f"{rel(p)}: no such role any more" for p in sorted(present - set(wanted))]
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"role docs are out of date: run {GENERATOR}" + (" --role-readmes" if args.role_readmes else ""),
                  file=sys.stderr)
            return 1
        print(f"role docs current: {len(wanted) - 1} page(s)")
        return 0

    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(present - set(wanted)):
        path.unlink()
    for path, text in wanted.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {rel(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
