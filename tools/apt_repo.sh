#!/usr/bin/env bash
# InfluxData's apt repository, rebuilt locally: .deb packages made from the release tarballs in
# $TICKSTACK_ARTIFACTS (shaped like InfluxData's own: tools/packaging/README.md), published with
# the layout of repos.influxdata.com (debian/dists/stable/main/binary-amd64/Packages, Release,
# InRelease, Release.gpg, pool/) and signed with a throwaway key kept in $TICKSTACK_CACHE/apt-repo/key
# (never in the checkout). The public key is served as influxdata-archive.key, as InfluxData serves
# theirs. The repository lives in $TICKSTACK_ARTIFACTS/repo, so tools/mirror.sh serves it at
# <mirror URL>/repo: the roles' repo base URL.
#
#   tools/apt_repo.sh         build, or nothing when neither the tarballs nor the packaging changed
#   tools/apt_repo.sh env     build as above, then print the export lines Molecule reads:
#                             TICKSTACK_APT_REPO_URL (what containers reach) and
#                             TICKSTACK_APT_REPO_FINGERPRINT (the signing key's primary fingerprint)
#
# Tools: dpkg-deb (dpkg), apt-ftparchive (apt-utils) and gpg (gnupg), all Debian packages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${TICKSTACK_CACHE:-$HOME/.cache/tickstack}
artifacts=${TICKSTACK_ARTIFACTS:-$cache/artifacts}
work=$cache/apt-repo
repo=$artifacts/repo
packaging=$here/packaging
arch=amd64
export GNUPGHOME=$work/key

log() { printf '[apt-repo] %s\n' "$*" >&2; }

# What a fresh Debian machine lacks (apt-utils, often gnupg) is installed when we may
# (tools/debian_packages.sh, as for the Docker engine); otherwise the error names the packages.
# shellcheck source=tools/debian_packages.sh
. "$here/debian_packages.sh"
declare -A package_of=([dpkg-deb]=dpkg [apt-ftparchive]=apt-utils [gpg]=gnupg [flock]=util-linux)
missing=()
for tool in "${!package_of[@]}"; do
  command -v "$tool" >/dev/null || missing+=("${package_of[$tool]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if debian_can_install; then
    log "installing ${missing[*]} (Debian packages)"
    debian_install "${missing[@]}"
  else
    log "ERROR: missing tools: install the Debian packages ${missing[*]} (apt-get install ${missing[*]})"
    exit 1
  fi
fi

mkdir -p "$work" "$artifacts"
# One build at a time on the machine (several checkouts share the cache).
exec 9>"$work/lock"
flock 9

key_fingerprint() {
  gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }'
}

# A primary key that only certifies and a signing subkey, like InfluxData's: the roles must pin the
# primary key's fingerprint, not the fingerprint of the subkey that signs.
ensure_key() {
  if [ -z "$(key_fingerprint)" ]; then
    log "generating the throwaway signing key in $GNUPGHOME"
    mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
    gpg --batch --passphrase '' --quick-gen-key \
      'tickstack.influx test repository (throwaway) <apt-repo@tickstack.invalid>' ed25519 cert never
    gpg --batch --passphrase '' --quick-add-key "$(key_fingerprint)" ed25519 sign never
  fi
}

# The releases to package: "<package> <version> <tarball>" per line.
releases() {
  local f base
  for f in "$artifacts"/influxdb/releases/influxdb2-2.*_linux_"$arch".tar.gz; do
    [ -e "$f" ] || continue
    base=$(basename "$f"); base=${base#influxdb2-}
    echo "influxdb2 ${base%_linux_"$arch".tar.gz} $f"
  done
  for f in "$artifacts"/influxdb/releases/influxdb2-client-*-linux-"$arch".tar.gz; do
    [ -e "$f" ] || continue
    base=$(basename "$f"); base=${base#influxdb2-client-}
    echo "influxdb2-cli ${base%-linux-"$arch".tar.gz} $f"
  done
  for product in kapacitor telegraf; do
    for f in "$artifacts/$product/releases/$product"-*_linux_"$arch".tar.gz; do
      [ -e "$f" ] || continue
      base=$(basename "$f"); base=${base#"$product"-}
      echo "$product ${base%_linux_"$arch".tar.gz} $f"
    done
  done
}

# What the repository is built from: the tarballs' sha256 files, the packaging and this script;
# by content and relative path only, so every checkout of the same commit (a CI clone, a work tree)
# agrees and none rebuilds the repository under another one's running Molecule.
stamp() {
  {
    releases | while read -r _ _ tarball; do
      { cat "$tarball.sha256" 2>/dev/null || sha256sum <"$tarball"; } | cut -d' ' -f1
    done
    (cd "$packaging" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    sha256sum <"$here/apt_repo.sh"
    key_fingerprint
  } | sha256sum | cut -d' ' -f1
}

# put <src> <dest> <mode>: one file into the package tree.
put() { install -D -m "$3" "$1" "$stage$2"; }
# first existing file of the arguments
first() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return; }; done; return 1; }

build_deb() {
  local name=$1 version=$2 tarball=$3 out=$4 src conffiles=()
  stage=$(mktemp -d "$work/stage.XXXXXX")
  src=$(mktemp -d "$work/src.XXXXXX")
  tar -xzf "$tarball" -C "$src" --strip-components=1
  case $name in
    influxdb2)
      local files=$packaging/influxdb2/files
      put "$src/usr/bin/influxd" /usr/bin/influxd 0755
      put "$(first "$src/usr/lib/influxdb/scripts/influxd-systemd-start.sh" "$files/influxd-systemd-start.sh")" \
        /usr/lib/influxdb/scripts/influxd-systemd-start.sh 0755
      put "$(first "$src/usr/lib/influxdb/scripts/influxdb.service" "$files/influxdb.service")" \
        /usr/lib/influxdb/scripts/influxdb.service 0644
      # InfluxData's influxdb2 ships its unit here itself (kapacitor and telegraf copy theirs in postinst).
      put "$stage/usr/lib/influxdb/scripts/influxdb.service" /lib/systemd/system/influxdb.service 0644
      if [ -e "$src/usr/lib/influxdb/scripts/init.sh" ]; then
        put "$src/usr/lib/influxdb/scripts/init.sh" /usr/lib/influxdb/scripts/init.sh 0755
      fi
      if [ -e "$src/usr/share/influxdb/influxdb2-upgrade.sh" ]; then
        put "$src/usr/share/influxdb/influxdb2-upgrade.sh" /usr/share/influxdb/influxdb2-upgrade.sh 0755
      fi
      put "$(first "$src/etc/logrotate.d/influxdb" "$files/logrotate")" /etc/logrotate.d/influxdb 0644
      conffiles=(/etc/logrotate.d/influxdb)
      put "$src/LICENSE" /usr/share/influxdb/LICENSE 0644
      mkdir -p "$stage/var/lib/influxdb" "$stage/var/log/influxdb" ;;
    influxdb2-cli)
      put "$src/influx" /usr/bin/influx 0755
      put "$src/LICENSE" /usr/share/doc/influxdb2-cli/LICENSE 0644 ;;
    kapacitor)
      for bin in kapacitord kapacitor tickfmt; do put "$src/usr/bin/$bin" "/usr/bin/$bin" 0755; done
      put "$src/usr/lib/kapacitor/scripts/kapacitor.service" /usr/lib/kapacitor/scripts/kapacitor.service 0644
      put "$src/usr/lib/kapacitor/scripts/init.sh" /usr/lib/kapacitor/scripts/init.sh 0755
      put "$src/usr/lib/kapacitor/LICENSE" /usr/lib/kapacitor/LICENSE 0644
      put "$src/etc/kapacitor/kapacitor.conf" /etc/kapacitor/kapacitor.conf 0644
      put "$src/etc/logrotate.d/kapacitor" /etc/logrotate.d/kapacitor 0644
      conffiles=(/etc/kapacitor/kapacitor.conf /etc/logrotate.d/kapacitor)
      mkdir -p "$stage/var/lib/kapacitor" "$stage/var/log/kapacitor" ;;
    telegraf)
      put "$src/usr/bin/telegraf" /usr/bin/telegraf 0755
      put "$src/usr/lib/telegraf/scripts/telegraf.service" /usr/lib/telegraf/scripts/telegraf.service 0644
      put "$src/usr/lib/telegraf/scripts/init.sh" /usr/lib/telegraf/scripts/init.sh 0755
      # InfluxData ships the sample; postinst copies it to telegraf.conf on a fresh install.
      put "$src/etc/telegraf/telegraf.conf" /etc/telegraf/telegraf.conf.sample 0644
      put "$src/etc/logrotate.d/telegraf" /etc/logrotate.d/telegraf 0644
      conffiles=(/etc/telegraf/telegraf.conf.sample /etc/logrotate.d/telegraf)
      mkdir -p "$stage/etc/telegraf/telegraf.d" "$stage/var/log/telegraf" ;;
  esac
  mkdir -p "$stage/DEBIAN"
  sed -e "s/@VERSION@/$version/g" -e "s/@ARCH@/$arch/g" "$packaging/$name/control" >"$stage/DEBIAN/control"
  echo "Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)" >>"$stage/DEBIAN/control"
  for script in preinst postinst prerm postrm; do
    if [ -e "$packaging/$name/$script" ]; then
      install -m 0755 "$packaging/$name/$script" "$stage/DEBIAN/$script"
    fi
  done
  if [ "${#conffiles[@]}" -gt 0 ]; then
    printf '%s\n' "${conffiles[@]}" >"$stage/DEBIAN/conffiles"
  fi
  mkdir -p "$(dirname "$out")"
  # gzip, not dpkg-deb's default xz: a few seconds instead of minutes for the 100 MB binaries.
  dpkg-deb --root-owner-group -Zgzip -z6 --build "$stage" "$out" >/dev/null
  rm -rf "$stage" "$src"
}

publish() {
  local fpr=$1 new=$artifacts/repo.new dist
  rm -rf "$new"
  mkdir -p "$new/debian"
  while read -r name version tarball; do
    log "packaging $name $version-1 from $(basename "$tarball")"
    build_deb "$name" "$version" "$tarball" \
      "$new/debian/pool/main/${name:0:1}/$name/${name}_${version}-1_${arch}.deb"
  done < <(releases)
  dist=$new/debian/dists/stable
  mkdir -p "$dist/main/binary-$arch"
  (cd "$new/debian" && apt-ftparchive packages pool >"dists/stable/main/binary-$arch/Packages")
  gzip -9n -k "$dist/main/binary-$arch/Packages"
  apt-ftparchive \
    -o APT::FTPArchive::Release::Origin=InfluxData -o APT::FTPArchive::Release::Label=InfluxData \
    -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename=stable \
    -o APT::FTPArchive::Release::Architectures="$arch" -o APT::FTPArchive::Release::Components=main \
    release "$dist" >"$work/Release"
  mv "$work/Release" "$dist/Release"
  gpg --batch --yes --local-user "$fpr" --clearsign --output "$dist/InRelease" "$dist/Release"
  gpg --batch --yes --local-user "$fpr" --armor --detach-sign --output "$dist/Release.gpg" "$dist/Release"
  gpg --batch --armor --export "$fpr" >"$new/influxdata-archive.key"
  # Swap the whole tree at once, so a container reading the repository never sees half of it.
  rm -rf "$artifacts/repo.old"
  if [ -d "$repo" ]; then mv "$repo" "$artifacts/repo.old"; fi
  mv "$new" "$repo"
  rm -rf "$artifacts/repo.old"
}

ensure_key
fingerprint=$(key_fingerprint)
wanted=$(stamp)
if [ -s "$repo/debian/dists/stable/InRelease" ] && [ "$(cat "$work/stamp" 2>/dev/null)" = "$wanted" ]; then
  log "up to date: $repo"
else
  [ -n "$(releases)" ] || { log "ERROR: no release tarballs in $artifacts: run tools/artifacts.sh first"; exit 1; }
  started=$(date +%s)
  publish "$fingerprint"
  echo "$wanted" >"$work/stamp"
  log "built $repo in $(( $(date +%s) - started )) s (signing key $fingerprint)"
fi

case "${1:-build}" in
  build) ;;
  env)
    echo "export TICKSTACK_APT_REPO_URL=$("$here/mirror.sh" repo-url)"
    echo "export TICKSTACK_APT_REPO_FINGERPRINT=$fingerprint" ;;
  *) echo "usage: $0 [build|env]" >&2; exit 2 ;;
esac
