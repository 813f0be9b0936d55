"""An attacker on the stack's network: no credentials of its own, Python's standard library only.

race     POST /api/v2/setup to InfluxDB over http and https (unverified TLS) every 0.2 s until
         stopped, one JSON line per attempt in the log.
attack   read {"attempts": [...], "race_log": path} as JSON on stdin, make every attempt, print
         one JSON document: a row per attempt (attempt, expected, outcome, refused), the totals
         and the table. Secrets come on stdin only and never appear in the output.
"""
import argparse
import base64
import http.client
import json
import socket
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections import Counter

# What counts as refused: the API said no (400, 401, 403), or there was no API to talk to.
REFUSED_STATUSES = {400, 401, 403}
REFUSED_ERRORS = {"TLS handshake failed", "connection refused"}
RACE_BODY = {
    "username": "tickstack-attacker",
    "password": "tickstack-attacker-password",
    "org": "tickstack-attacker-org",
    "bucket": "tickstack-attacker-bucket",
}


def _unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _error_outcome(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        error = error.reason
    if isinstance(error, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return "name not resolved"
    if isinstance(error, (TimeoutError, socket.timeout)):
        return "timeout"
    if isinstance(error, (ConnectionResetError, http.client.RemoteDisconnected)):
        return "connection dropped"
    return f"error {type(error).__name__}"


def call(method: str, url: str, body=None, user=None, password=None, timeout: float = 5.0) -> str:
    """Make one request and return its outcome: 'HTTP <status>' or what stopped it."""
    headers = {}
    data = None
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif body is not None:
        data = str(body).encode()
    if user is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=_unverified_tls()))
        with opener.open(request, timeout=timeout) as response:
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, http.client.HTTPException) as error:
        return _error_outcome(error)


def is_refused(outcome: str) -> bool:
    if outcome.startswith("HTTP "):
        return int(outcome.split()[1]) in REFUSED_STATUSES
    return outcome in REFUSED_ERRORS


def race(host: str, log: str, interval: float) -> None:
    with open(log, "a", encoding="utf-8") as out:
        while True:
            for scheme in ("http", "https"):
                outcome = call("POST", f"{scheme}://{host}:8086/api/v2/setup", RACE_BODY, timeout=2.0)
                out.write(json.dumps({"t": round(time.time(), 3), "scheme": scheme, "outcome": outcome}) + "\n")
                out.flush()
            time.sleep(interval)


def race_row(log: str) -> dict:
    """The onboarding race as one row: refused when it tried and never got 201 (or any 2xx)."""
    try:
        with open(log, encoding="utf-8") as lines:
            attempts = [json.loads(line) for line in lines if line.strip()]
    except OSError as error:
        attempts = []
        note = f"no log ({error.strerror})"
    else:
        note = ""
    outcomes = Counter(f"{a['scheme']} {a['outcome']}" for a in attempts)
    won = sum(n for kind, n in outcomes.items() if " HTTP 2" in kind)
    summary = ", ".join(f"{kind} x{n}" for kind, n in sorted(outcomes.items())) or note
    first = f" (first: {attempts[0]['scheme']} {attempts[0]['outcome']})" if attempts else ""
    return {
        "attempt": "7 race onboarding (/api/v2/setup)",
        "expected": "never 201",
        "outcome": f"{len(attempts)} tries: {summary}{first}",
        "refused": bool(attempts) and won == 0,
        "race_attempts": len(attempts),
        "race_created": outcomes.get("http HTTP 201", 0) + outcomes.get("https HTTP 201", 0),
    }


def table(rows: list) -> list:
    headers = ("attempt", "expected", "outcome", "refused")
    cells = [[row["attempt"], row["expected"], row["outcome"], "yes" if row["refused"] else "NO"] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = " | ".join(f"{{:<{width}}}" for width in widths)
    refused = sum(row["refused"] for row in rows)
    return [
        line.format(*headers).rstrip(),
        "-+-".join("-" * w for w in widths),
        *(line.format(*c).rstrip() for c in cells),
        f"{len(rows)} tried, {refused} refused",
    ]


def attack(spec: dict) -> dict:
    rows = []
    for attempt in spec["attempts"]:
        outcome = call(
            attempt["method"], attempt["url"], attempt.get("body"), attempt.get("user"), attempt.get("password")
        )
        rows.append({
            "attempt": attempt["attempt"],
            "expected": str(attempt["expected"]),
            "outcome": outcome,
            "refused": is_refused(outcome),
        })
    if spec.get("race_log"):
        rows.append(race_row(spec["race_log"]))
    rows.sort(key=lambda row: row["attempt"].split()[0])
    return {
        "rows": rows,
        "tried": len(rows),
        "refused": sum(row["refused"] for row in rows),
        "table": table(rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    race_parser = commands.add_parser("race")
    race_parser.add_argument("--host", required=True)
    race_parser.add_argument("--log", required=True)
    race_parser.add_argument("--interval", type=float, default=0.2)
    commands.add_parser("attack")
    args = parser.parse_args()
    if args.command == "race":
        race(args.host, args.log, args.interval)
        return 0
    print(json.dumps(attack(json.load(sys.stdin))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
