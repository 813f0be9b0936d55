#!/usr/bin/env bash
# Run `molecule test` for several scenarios, at most MOLECULE_JOBS at a time (default 2).
# Each scenario has its own container names and network, so they can run side by side; most of a
# converge is waiting on services and the network, which is why two at a time on two cores is
# faster than one after the other (needs bash 5.1 for wait -p). Every scenario logs to $TICKSTACK_CACHE/logs/molecule-<name>.log;
# a failed one's log is printed whole at the end, and a table of times is printed either way.
#   tools/molecule.sh default debian13 migrate
set -euo pipefail

jobs_max="${MOLECULE_JOBS:-2}"
logs="${TICKSTACK_CACHE:-$HOME/.cache/tickstack}/logs"
molecule="${MOLECULE:-molecule}"
mkdir -p "$logs"

if [ "$#" -eq 0 ]; then
  echo "usage: $0 scenario [scenario ...]" >&2
  exit 2
fi

declare -A start_of rc_of end_of
running=0

declare -A scenario_of
reap_one() {
  local done_pid rc=0 s
  wait -n -p done_pid || rc=$?
  s="${scenario_of[$done_pid]}"
  rc_of[$s]=$rc
  end_of[$s]=$(date +%s)
  echo "== molecule: $s finished: rc $rc in $(( end_of[$s] - start_of[$s] )) s"
  running=$(( running - 1 ))
}

for s in "$@"; do
  while [ "$running" -ge "$jobs_max" ]; do
    reap_one
  done
  echo "== molecule: $s started (log: $logs/molecule-$s.log)"
  start_of[$s]=$(date +%s)
  "$molecule" test -s "$s" >"$logs/molecule-$s.log" 2>&1 &
  scenario_of[$!]=$s
  running=$(( running + 1 ))
done
while [ "$running" -gt 0 ]; do
  reap_one
done

failed=0
printf '%-12s %6s %8s\n' scenario rc seconds
for s in "$@"; do
  printf '%-12s %6s %8s\n' "$s" "${rc_of[$s]}" "$(( end_of[$s] - start_of[$s] ))"
  if [ "${rc_of[$s]}" != 0 ]; then
    failed=1
  fi
done
for s in "$@"; do
  if [ "${rc_of[$s]}" != 0 ]; then
    echo "== molecule: $s failed; its log follows"
    cat "$logs/molecule-$s.log"
  fi
done
exit "$failed"
