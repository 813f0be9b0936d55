# shellcheck shell=bash
# Sourced by tools/docker.sh and tools/apt_repo.sh: the Debian packages a brand-new machine lacks
# (docker.io, debootstrap, apt-utils, gnupg) are installed when we may, that is as root with apt-get.
#   debian_can_install          true when we may
#   debian_install PACKAGE...   apt-get update, then install them, quietly

debian_can_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null
}

debian_install() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
