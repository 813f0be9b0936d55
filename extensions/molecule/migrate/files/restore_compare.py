#!/usr/bin/env python
"""Compare the backed-up servers with the restored ones; write the table; exit 1 on any difference.

    restore_compare.py INPUT.json OUTPUT.txt

INPUT (written by verify_restore.yml): counts [before, after] ({bucket: field values}), kapacitor
[before, after] (tickstack.influx.kapacitor_info results), tokens [[name, HTTP status]], token_use
[[name, status, body]], modes, backups, recap (the restore runs' recap lines for m-restore).
"""

import json
import sys

TASK_KEYS = ("id", "type", "dbrps", "script", "status")
TEMPLATE_KEYS = ("id", "type", "script")
HANDLER_KEYS = ("topic", "id", "kind", "options", "match")


def pick(items, keys):
    return sorted((tuple(json.dumps(item.get(key), sort_keys=True) for key in keys) for item in items))


def handlers(info):
    return [handler for topic in info.get("topics") or [] for handler in topic.get("handlers") or []]


def main():
    data = json.load(open(sys.argv[1]))
    lines, problems = [], []

    def row(what, before, after, equal=None):
        equal = (before == after) if equal is None else equal
        lines.append(f"{'OK  ' if equal else 'DIFF'} {what}: backed up {before} | restored {after}")
        if not equal:
            problems.append(what)

    lines.append(f"Backups restored: {', '.join(data['backups'])}")
    lines.append(f"Counts up to {data['stop']} (field values per bucket)")
    before, after = data["counts"]
    for bucket in sorted(set(before) | set(after)):
        row(f"bucket {bucket}", before.get(bucket), after.get(bucket))
    row("buckets with data", sum(1 for v in before.values() if v), sum(1 for v in after.values() if v),
        equal=before == after and sum(before.values()) > 0)
    kap_before, kap_after = data["kapacitor"]
    for name, items, keys in (("tasks", lambda i: i.get("tasks") or [], TASK_KEYS),
                              ("templates", lambda i: i.get("templates") or [], TEMPLATE_KEYS),
                              ("topic handlers", handlers, HANDLER_KEYS)):
        b, a = pick(items(kap_before), keys), pick(items(kap_after), keys)
        ids_b = [json.loads(t[1] if name == "topic handlers" else t[0]) for t in b]
        ids_a = [json.loads(t[1] if name == "topic handlers" else t[0]) for t in a]
        row(f"kapacitor {name} ({', '.join(keys)})", ids_b, ids_a, equal=b == a and len(b) > 0)
    for task in kap_after.get("tasks") or []:
        row(f"restored task {task['id']} status/executing", "enabled", f"{task.get('status')}/{task.get('executing')}",
            equal=task.get("status") == "enabled" and (task["id"] != "probe_count" or task.get("executing") is True))
    lines.append("Tokens of the backup on the restored InfluxDB (GET /api/v2/buckets)")
    for name, status in data["tokens"]:
        wanted = 401 if name == "never-issued" else 200
        row(f"token {name}", f"HTTP {wanted} expected", f"HTTP {status}", equal=status == wanted)
    for name, status, body in data["token_use"]:
        ok = status == 204 if "writes" in name else (status == 200 and '"count"' in (body or ""))
        row(f"token use: {name}", "works", f"HTTP {status}", equal=ok)
    lines.append("Backup files: " + " / ".join(m.strip() for m in data["modes"]))
    lines.append("Restore runs on m-restore: " + " / ".join(r or "-" for r in data["recap"]))
    lines.append(f"RESULT: {'no difference' if not problems else 'DIFFERENCES: ' + ', '.join(problems)}")
    text = "\n".join(lines) + "\n"
    with open(sys.argv[2], "w") as out:
        out.write(text)
    print(text, end="")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
