#!/usr/bin/env bash
# Build the real InfluxDB 2, influx CLI, Kapacitor and Telegraf from their Go modules and pack them
# exactly like InfluxData's release tarballs, laid out like the official download site:
#
#   $TICKSTACK_ARTIFACTS/influxdb/releases/influxdb2-<ver>_linux_amd64.tar.gz (+ .sha256)
#   $TICKSTACK_ARTIFACTS/influxdb/releases/influxdb2-client-<ver>-linux-amd64.tar.gz (+ .sha256)
#   $TICKSTACK_ARTIFACTS/influxdb/releases/influxdb-<ver>_linux_amd64.tar.gz (+ .sha256; InfluxDB 1.x)
#   $TICKSTACK_ARTIFACTS/kapacitor/releases/kapacitor-<ver>_linux_amd64.tar.gz (+ .sha256)
#   $TICKSTACK_ARTIFACTS/telegraf/releases/telegraf-<ver>_linux_amd64.tar.gz (+ .sha256)
#
# A tarball is reused when its checksum matches and the binary inside reports the pinned version.
# Usage: tools/artifacts.sh [component ...]   (components: influxdb influxdb-legacy influx-cli
#                                              kapacitor telegraf influxdb1; default: all)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
. "$here/versions.env"

cache=${TICKSTACK_CACHE:-$HOME/.cache/tickstack}
artifacts=${TICKSTACK_ARTIFACTS:-$cache/artifacts}
work=$cache/build
logs=$cache/logs
mkdir -p "$artifacts" "$work" "$logs"

# Rust: flux pins an old toolchain that rustup cannot fetch here; use the installed one.
export RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-stable}
export CGO_ENABLED=1 GOFLAGS=-buildvcs=false
export PATH=$HOME/.cargo/bin:/usr/local/go/bin:$PATH

log() { printf '[artifacts] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in go cargo tar sha256sum python3; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed: install it (Go from go.dev, Rust with rustup) and retry"
done

exec 9>"$cache/artifacts.lock"
flock 9

# flux enables `#![deny(warnings)]`, and newer Rust adds lints its code trips. RUSTFLAGS cannot
# fix that here: influxdata's pkg-config wrapper runs `cargo build --release --target <host>`, and
# with --target cargo leaves RUSTFLAGS off host artifacts — flux-core is also a build-dependency of
# flux, so it is compiled for the host and failed on the lints. A rustc wrapper caps lints to
# warnings for every crate cargo does not already cap.
mkdir -p "$work/bin"
cat >"$work/bin/rustc-cap-lints" <<'WRAPPER'
#!/bin/sh
rustc=$1; shift
case " $* " in *" --cap-lints"*) exec "$rustc" "$@" ;; esac
exec "$rustc" "$@" --cap-lints=warn
WRAPPER
chmod +x "$work/bin/rustc-cap-lints"
export RUSTC_WRAPPER=$work/bin/rustc-cap-lints

# module_dir MODULE VERSION -> prints a fresh writable copy of the module's source tree.
module_dir() {
  local mod=$1 ver=$2 json dir dest
  json=$(go mod download -json "$mod@$ver") || die "go mod download $mod@$ver failed"
  dir=$(printf '%s' "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error","no Dir")))') \
    || die "go mod download $mod@$ver: no source directory"
  dest=$work/src/$(basename "${mod%/v2}")-$ver
  if [ ! -f "$dest/.complete" ]; then
    rm -rf "$dest"
    mkdir -p "$work/src"
    cp -r "$dir" "$dest"
    chmod -R u+w "$dest"
    touch "$dest/.complete"
  fi
  printf '%s\n' "$dest"
}

# module_info MODULE VERSION -> "<commit time> <commit hash>" from the proxy's .info record, so
# binaries report the real upstream commit and a reproducible build date.
module_info() {
  go mod download -json "$1@$2" | python3 -c '
import json, sys
info = json.load(open(json.load(sys.stdin)["Info"]))
print(info["Time"], (info.get("Origin") or {}).get("Hash", "unknown")[:12])'
}

# with_pkg_config SRC: influxdata's pkg-config wrapper, at the version SRC's go.mod pins. It builds
# libflux with cargo on first use and caches the result.
pkg_config_for() {
  local src=$1
  (cd "$src" && go build -o "$src/.pkg-config" github.com/influxdata/pkg-config) \
    || die "building influxdata/pkg-config in $src failed"
  printf '%s\n' "$src/.pkg-config"
}

# pack STAGE_PARENT TOPDIR OUTFILE
pack() {
  local parent=$1 top=$2 out=$3
  mkdir -p "$(dirname "$out")"
  tar -C "$parent" --owner=root --group=root --numeric-owner --sort=name \
      --mtime='2000-01-01 00:00:00Z' -czf "$out.tmp" "$top"
  mv "$out.tmp" "$out"
  (cd "$(dirname "$out")" && sha256sum "$(basename "$out")" > "$(basename "$out").sha256")
}

# is_valid TARBALL MEMBER EXPECTED_SUBSTRING VERSION_ARGS...
# The tarball exists, matches its .sha256, and the binary MEMBER inside prints EXPECTED_SUBSTRING.
is_valid() {
  local tarball=$1 member=$2 expect=$3; shift 3
  [ -f "$tarball" ] && [ -f "$tarball.sha256" ] || return 1
  (cd "$(dirname "$tarball")" && sha256sum --quiet -c "$(basename "$tarball").sha256") >/dev/null 2>&1 || return 1
  local tmp out
  tmp=$(mktemp -d)
  tar -C "$tmp" -xzf "$tarball" "$member" 2>/dev/null || { rm -rf "$tmp"; return 1; }
  out=$("$tmp/$member" "$@" 2>&1 || true)
  rm -rf "$tmp"
  case "$out" in *"$expect"*) return 0 ;; *) return 1 ;; esac
}

timed() {
  local name=$1; shift
  local start end
  start=$(date +%s)
  log "building $name (log: $logs/$name.log)"
  # Run in a background job: a function called as an `if` condition runs with errexit off, so a
  # failed step would not stop the build; a job keeps `set -e`, and `wait` reports its status.
  "$@" >"$logs/$name.log" 2>&1 &
  if wait $!; then
    end=$(date +%s)
    log "built $name in $((end - start)) s"
    printf '%s %s\n' "$name" "$((end - start))" >>"$logs/build-times.txt"
  else
    tail -n 40 "$logs/$name.log" >&2
    die "building $name failed; full log: $logs/$name.log"
  fi
}

build_influxdb() {
  local ver=$1 src pc stage top out date commit
  src=$(module_dir github.com/influxdata/influxdb/v2 "v$ver")
  pc=$(pkg_config_for "$src")
  read -r date commit < <(module_info github.com/influxdata/influxdb/v2 "v$ver")
  top=influxdb2-$ver
  stage=$work/stage/$top
  rm -rf "$stage" && mkdir -p "$stage/usr/bin" "$stage/usr/lib/influxdb/scripts"
  (cd "$src" && PKG_CONFIG=$pc go build -trimpath -tags sqlite_foreign_keys,sqlite_json \
      -ldflags "-s -w -X main.version=v$ver -X main.commit=$commit -X main.date=$date" \
      -o "$stage/usr/bin/influxd" ./cmd/influxd)
  # The packaging tree upstream ships in its .deb/.rpm/.tar.gz, where the source has it there
  # (2.9). 2.7.12 keeps it elsewhere (.circleci/scripts/package) and is packed without it, binary
  # only, like InfluxData's 2.8.0 tarball: so one pinned version exercises the roles' own systemd
  # unit (Molecule debian13) and the other the shipped one (default).
  local fs=$src/.circleci/packages/influxdb2/fs
  if [ -d "$fs" ]; then
    cp -r "$fs/." "$stage/"
    find "$stage" -name '.keepdir' -delete -o -name '.gitkeep' -delete
    cp "$fs/lib/systemd/system/influxdb.service" "$stage/usr/lib/influxdb/scripts/influxdb.service"
    rm -rf "${stage:?}/lib"
  fi
  cp "$src/LICENSE" "$src/README.md" "$stage/"
  out=$artifacts/influxdb/releases/${top}_linux_amd64.tar.gz
  pack "$work/stage" "$top" "$out"
}

build_influx_cli() {
  local ver=$INFLUX_CLI_VERSION src top stage out date commit
  src=$(module_dir github.com/influxdata/influx-cli/v2 "$INFLUX_CLI_MODULE_VERSION")
  read -r date commit < <(module_info github.com/influxdata/influx-cli/v2 "$INFLUX_CLI_MODULE_VERSION")
  top=influxdb2-client-$ver-linux-amd64
  stage=$work/stage/$top
  rm -rf "$stage" && mkdir -p "$stage"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=$ver -X main.commit=$commit -X main.date=$date" \
      -o "$stage/influx" ./cmd/influx)
  cp "$src/LICENSE" "$src/README.md" "$stage/"
  out=$artifacts/influxdb/releases/$top.tar.gz
  pack "$work/stage" "$top" "$out"
}

build_kapacitor() {
  local ver=$KAPACITOR_VERSION src pc top stage out flags date commit
  src=$(module_dir github.com/influxdata/kapacitor "v$ver")
  read -r date commit < <(module_info github.com/influxdata/kapacitor "v$ver")
  pc=$(pkg_config_for "$src")
  top=kapacitor-$ver-1
  stage=$work/stage/$top
  rm -rf "$stage"
  mkdir -p "$stage/usr/bin" "$stage/usr/lib/kapacitor/scripts" "$stage/etc/kapacitor" \
    "$stage/etc/logrotate.d" "$stage/var/lib/kapacitor" "$stage/var/log/kapacitor"
  flags="-s -w -X main.version=$ver -X main.commit=$commit -X main.branch=HEAD"
  (cd "$src" && PKG_CONFIG=$pc go build -trimpath -ldflags "$flags" -o "$stage/usr/bin/kapacitord" ./cmd/kapacitord)
  (cd "$src" && PKG_CONFIG=$pc go build -trimpath -ldflags "$flags" -o "$stage/usr/bin/kapacitor" ./cmd/kapacitor)
  (cd "$src" && PKG_CONFIG=$pc go build -trimpath -ldflags "-s -w" -o "$stage/usr/bin/tickfmt" ./tick/cmd/tickfmt)
  cp "$src/etc/kapacitor/kapacitor.conf" "$stage/etc/kapacitor/"
  cp "$src/etc/logrotate.d/kapacitor" "$stage/etc/logrotate.d/"
  cp "$src/scripts/kapacitor.service" "$src/scripts/init.sh" "$stage/usr/lib/kapacitor/scripts/"
  cp "$src/LICENSE" "$stage/usr/lib/kapacitor/" 2>/dev/null || true
  out=$artifacts/kapacitor/releases/kapacitor-${ver}_linux_amd64.tar.gz
  pack "$work/stage" "$top" "$out"
}

# Plugins the roles and tests use; `custom` limits the build to them (upstream docs/CUSTOMIZATION.md).
TELEGRAF_TAGS=custom,inputs.cpu,inputs.mem,inputs.disk,inputs.system,inputs.net,inputs.internal,\
inputs.exec,inputs.file,inputs.influxdb_listener,inputs.http_listener_v2,\
outputs.influxdb,outputs.influxdb_v2,outputs.file,\
parsers.influx,parsers.json,parsers.value,serializers.influx,serializers.json,\
secretstores.os,secretstores.jose,secretstores.systemd

build_telegraf() {
  local ver=$TELEGRAF_VERSION src top stage out date commit pkg=github.com/influxdata/telegraf/internal
  src=$(module_dir github.com/influxdata/telegraf "v$ver")
  read -r date commit < <(module_info github.com/influxdata/telegraf "v$ver")
  top=telegraf-$ver
  stage=$work/stage/$top
  rm -rf "$stage"
  mkdir -p "$stage/usr/bin" "$stage/usr/lib/telegraf/scripts" "$stage/etc/telegraf/telegraf.d" \
    "$stage/etc/logrotate.d" "$stage/var/log/telegraf"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -tags "$TELEGRAF_TAGS" \
      -ldflags "-s -w -X $pkg.Version=$ver -X $pkg.Commit=$commit -X $pkg.Branch=HEAD" \
      -o "$stage/usr/bin/telegraf" ./cmd/telegraf)
  "$stage/usr/bin/telegraf" config >"$stage/etc/telegraf/telegraf.conf"
  cp "$src/etc/logrotate.d/telegraf" "$stage/etc/logrotate.d/"
  cp "$src/scripts/telegraf.service" "$src/scripts/init.sh" "$stage/usr/lib/telegraf/scripts/"
  out=$artifacts/telegraf/releases/telegraf-${ver}_linux_amd64.tar.gz
  pack "$work/stage" "$top" "$out"
}

# InfluxDB 1.x, for the migration off it: influxd, influx and influx_inspect as upstream's
# .circleci/config.yml builds them (tags netgo,osusergo; version without the "v"), laid out like
# the official influxdb-<ver>_linux_amd64.tar.gz from its packaging tree (.circleci/packages).
build_influxdb1() {
  local ver=$INFLUXDB1_VERSION src pc top stage out commit cmd fs
  src=$(module_dir github.com/influxdata/influxdb "v$ver")
  read -r _ commit < <(module_info github.com/influxdata/influxdb "v$ver")
  pc=$(pkg_config_for "$src")
  top=influxdb-$ver-1
  stage=$work/stage/$top
  rm -rf "$stage"
  fs=$src/.circleci/packages/influxdb/fs
  mkdir -p "$stage"
  cp -r "$fs/." "$stage/"
  find "$stage" -name '.keepdir' -delete
  for cmd in influxd influx influx_inspect; do
    # GOTOOLCHAIN=local: go.mod names a newer patch toolchain; the installed Go meets its `go` line.
    (cd "$src" && GOTOOLCHAIN=local PKG_CONFIG=$pc go build -trimpath -tags netgo,osusergo \
        -ldflags "-s -w -X main.version=$ver -X main.branch=HEAD -X main.commit=$commit" \
        -o "$stage/usr/bin/$cmd" "./cmd/$cmd")
  done
  cp "$src/etc/config.sample.toml" "$stage/etc/influxdb/influxdb.conf"
  cp "$fs/lib/systemd/system/influxdb.service" "$stage/usr/lib/influxdb/scripts/influxdb.service"
  rm -rf "${stage:?}/lib"
  cp "$src/LICENSE" "$src/README.md" "$stage/"
  out=$artifacts/influxdb/releases/influxdb-${ver}_linux_amd64.tar.gz
  pack "$work/stage" "$top" "$out"
}

# ensure NAME TARBALL MEMBER EXPECT VERSION_ARG BUILD_FN [ARGS]
ensure() {
  local name=$1 tarball=$2 member=$3 expect=$4 varg=$5 fn=$6; shift 6
  if is_valid "$tarball" "$member" "$expect" "$varg"; then
    log "reusing $name: $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"
    return 0
  fi
  timed "$name" "$fn" "$@"
  is_valid "$tarball" "$member" "$expect" "$varg" \
    || die "$name was built but $(basename "$tarball") does not report '$expect'"
  log "packed $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"
}


components=("$@")
[ ${#components[@]} -gt 0 ] || components=(influxdb influx-cli kapacitor telegraf influxdb-legacy influxdb1)
for c in "${components[@]}"; do
  case "$c" in
    influxdb)
      ensure "influxdb-$INFLUXDB_VERSION" \
        "$artifacts/influxdb/releases/influxdb2-${INFLUXDB_VERSION}_linux_amd64.tar.gz" \
        "influxdb2-$INFLUXDB_VERSION/usr/bin/influxd" "v$INFLUXDB_VERSION" version \
        build_influxdb "$INFLUXDB_VERSION" ;;
    influxdb-legacy)
      # InfluxDB 2.7 (plain tokens): the integration tests and Molecule debian13 run on it.
      ensure "influxdb-$INFLUXDB_LEGACY_VERSION" \
        "$artifacts/influxdb/releases/influxdb2-${INFLUXDB_LEGACY_VERSION}_linux_amd64.tar.gz" \
        "influxdb2-$INFLUXDB_LEGACY_VERSION/usr/bin/influxd" "v$INFLUXDB_LEGACY_VERSION" version \
        build_influxdb "$INFLUXDB_LEGACY_VERSION" ;;
    influx-cli)
      ensure "influx-cli-$INFLUX_CLI_VERSION" \
        "$artifacts/influxdb/releases/influxdb2-client-$INFLUX_CLI_VERSION-linux-amd64.tar.gz" \
        "influxdb2-client-$INFLUX_CLI_VERSION-linux-amd64/influx" "$INFLUX_CLI_VERSION" version \
        build_influx_cli ;;
    kapacitor)
      ensure "kapacitor-$KAPACITOR_VERSION" \
        "$artifacts/kapacitor/releases/kapacitor-${KAPACITOR_VERSION}_linux_amd64.tar.gz" \
        "kapacitor-$KAPACITOR_VERSION-1/usr/bin/kapacitord" "$KAPACITOR_VERSION" version \
        build_kapacitor ;;
    telegraf)
      ensure "telegraf-$TELEGRAF_VERSION" \
        "$artifacts/telegraf/releases/telegraf-${TELEGRAF_VERSION}_linux_amd64.tar.gz" \
        "telegraf-$TELEGRAF_VERSION/usr/bin/telegraf" "Telegraf $TELEGRAF_VERSION" --version \
        build_telegraf ;;
    influxdb1)
      ensure "influxdb1-$INFLUXDB1_VERSION" \
        "$artifacts/influxdb/releases/influxdb-${INFLUXDB1_VERSION}_linux_amd64.tar.gz" \
        "influxdb-$INFLUXDB1_VERSION-1/usr/bin/influxd" "InfluxDB $INFLUXDB1_VERSION " version \
        build_influxdb1 ;;
    *) die "unknown component '$c' (known: influxdb influxdb-legacy influx-cli kapacitor telegraf influxdb1)" ;;
  esac
done
log "artifacts ready in $artifacts"
