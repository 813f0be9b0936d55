#!/usr/bin/env bash
# Make sure a Docker engine runs, and build the systemd base images Molecule uses.
#
#   tools/docker.sh engine            ensure dockerd answers (installs Debian's docker.io as root)
#   tools/docker.sh images [SUITE..]  ensure tickstack/debian-systemd:<suite> exist (debootstrap +
#                                     docker import; cached by tag); default: all pinned suites
#   tools/docker.sh all               both
#
# Images cannot be pulled here: they are built from Debian's archive with debootstrap.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
. "$here/versions.env"
# shellcheck source=tools/debian_packages.sh
. "$here/debian_packages.sh"
cache=${TICKSTACK_CACHE:-$HOME/.cache/tickstack}
mirror=${TICKSTACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
image_repo=${TICKSTACK_IMAGE_REPO:-tickstack/debian-systemd}
# Bump when the package list or image set-up below changes, so cached images are rebuilt.
image_rev=1

log() { printf '[docker] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

engine_up() { docker info >/dev/null 2>&1; }

ensure_engine() {
  if engine_up; then
    log "engine running ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    return 0
  fi
  if ! command -v dockerd >/dev/null; then
    if debian_can_install; then
      log "installing Debian's docker.io"
      debian_install docker.io
    else
      die "no Docker engine: install Docker (Debian: 'apt-get install docker.io' as root) and start it"
    fi
  fi
  [ "$(id -u)" = 0 ] || die "dockerd is installed but not running, and starting it needs root: run 'sudo dockerd &' or 'sudo systemctl start docker'"
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl start docker || true
  fi
  if ! engine_up; then
    mkdir -p "$cache"
    log "starting dockerd (log: $cache/dockerd.log)"
    # containerd ships with docker.io; dockerd starts its own when none runs.
    nohup dockerd --host=unix:///var/run/docker.sock >"$cache/dockerd.log" 2>&1 &
  fi
  for _ in $(seq 1 60); do
    engine_up && { log "engine running"; return 0; }
    sleep 1
  done
  tail -n 30 "$cache/dockerd.log" >&2 || true
  die "dockerd did not come up within 60 s (log above)"
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null && return 0
  debian_can_install || die "debootstrap is missing: install it (Debian: 'apt-get install debootstrap')"
  debian_install debootstrap
}

# One image build at a time (make test starts one in the background; a second caller waits for it,
# then finds the images built and reuses them).
lock_images() {
  mkdir -p "$cache"
  exec 8>"$cache/images.lock"
  flock 8
}

unmount_below() {
  local root=$1 target
  findmnt -rn -o TARGET | awk -v root="$root/" 'index($0, root) == 1' | sort -r |
    while read -r target; do umount -l "$target" || die "cannot unmount $target"; done
}

ensure_image() {
  local suite=$1 tag=$image_repo:$1 rootfs start
  if [ "$(docker image inspect -f '{{index .Config.Labels "tickstack.image-rev"}}' "$tag" 2>/dev/null)" = "$image_rev" ]; then
    log "reusing image $tag"
    return 0
  fi
  ensure_debootstrap
  start=$(date +%s)
  rootfs=$(mktemp -d "$cache/rootfs-$suite.XXXXXX")
  log "debootstrap $suite -> $tag (log: $cache/logs/debootstrap-$suite.log)"
  mkdir -p "$cache/logs"
  if ! debootstrap --variant=minbase \
      --include=systemd,systemd-sysv,dbus,python3,python3-apt,ca-certificates,iproute2,procps,curl,gnupg,tar,gzip,sudo \
      "$suite" "$rootfs" "$mirror" >"$cache/logs/debootstrap-$suite.log" 2>&1; then
    tail -n 30 "$cache/logs/debootstrap-$suite.log" >&2
    unmount_below "$rootfs"
    rm -rf "$rootfs"
    die "debootstrap $suite failed"
  fi
  # debootstrap can leave the target's /proc (or /sys) mounted (seen with trixie): unmount whatever
  # is mounted below the rootfs, deepest first, so neither tar nor rm -rf walks a live filesystem.
  unmount_below "$rootfs"
  # A container needs no getty, udev or kernel-facing units; keep systemd quiet and fast.
  for unit in getty.target systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service \
              sys-kernel-config.mount sys-kernel-debug.mount sys-fs-fuse-connections.mount \
              systemd-remount-fs.service; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  rm -f "$rootfs"/etc/machine-id && : >"$rootfs/etc/machine-id"
  printf 'deb %s %s main\n' "$mirror" "$suite" >"$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" --numeric-owner --one-file-system -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
    -c "LABEL tickstack.image-rev=$image_rev" - "$tag" >/dev/null
  rm -rf "$rootfs"
  log "built $tag in $(( $(date +%s) - start )) s ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1000000}'))"
}

cmd=${1:-all}
shift || true
case "$cmd" in
  engine) ensure_engine ;;
  images)
    ensure_engine
    suites=("$@"); [ ${#suites[@]} -gt 0 ] || read -r -a suites <<<"$DEBIAN_SUITES"
    lock_images
    for s in "${suites[@]}"; do ensure_image "$s"; done ;;
  all)
    ensure_engine
    read -r -a suites <<<"$DEBIAN_SUITES"
    lock_images
    for s in "${suites[@]}"; do ensure_image "$s"; done ;;
  *) die "usage: $0 engine|images [suite...]|all" ;;
esac
