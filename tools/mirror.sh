#!/usr/bin/env bash
# Serve $TICKSTACK_ARTIFACTS over HTTP with the official download site's layout
# (<product>/releases/<file>), so the roles' archive install runs unchanged against it, and the apt
# repository tools/apt_repo.sh builds there (repo/), so the roles' repo install does too. The
# containers download from the repository themselves (the archives go through the controller).
#
#   tools/mirror.sh start   start (idempotent) and print the base URL
#   tools/mirror.sh stop
#   tools/mirror.sh url     print the base URL containers use
#   tools/mirror.sh repo-url  print the base URL of the apt repository (tools/apt_repo.sh builds it
#                           into $TICKSTACK_ARTIFACTS/repo: <base URL>/repo/debian, .../influxdata-archive.key)
#
# It listens on loopback and on the Docker bridge gateway (what containers reach), nowhere else.
set -euo pipefail
cache=${TICKSTACK_CACHE:-$HOME/.cache/tickstack}
artifacts=${TICKSTACK_ARTIFACTS:-$cache/artifacts}
port=${TICKSTACK_MIRROR_PORT:-18600}
pidfile=$cache/mirror.pid

gateway() {
  local addr
  # Docker 20.10 leaves the default bridge's IPAM gateway empty; docker0's address is the same.
  addr=$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null || true)
  [ -n "$addr" ] || addr=$(ip -4 addr show docker0 2>/dev/null | awk '/inet /{sub(/\/.*/,"",$2); print $2; exit}')
  printf '%s\n' "$addr"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-start}" in
  start)
    addr=$(gateway)
    [ -n "$addr" ] || { echo "[mirror] ERROR: no Docker bridge found: run tools/docker.sh engine first" >&2; exit 1; }
    if ! running; then
      mkdir -p "$artifacts"
      nohup python3 "$(dirname "$0")/mirror.py" --directory "$artifacts" --port "$port" \
        --bind 127.0.0.1 --bind "$addr" >"$cache/mirror.log" 2>&1 &
      echo $! >"$pidfile"
      for _ in $(seq 1 50); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
        sleep 0.1
      done
    fi
    curl -fsS -o /dev/null "http://127.0.0.1:$port/" || { cat "$cache/mirror.log" >&2; exit 1; }
    echo "http://$addr:$port" ;;
  stop)
    if running; then kill "$(cat "$pidfile")"; fi
    rm -f "$pidfile" ;;
  url) echo "http://$(gateway):$port" ;;
  repo-url) echo "http://$(gateway):$port/repo" ;;
  *) echo "usage: $0 start|stop|url|repo-url" >&2; exit 2 ;;
esac
