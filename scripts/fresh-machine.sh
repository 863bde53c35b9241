#!/usr/bin/env bash
# Tries mfl as a new user would, on a bare Debian 12 machine made here with debootstrap and
# entered with chroot. Needs root, debootstrap and the Debian mirror of this machine's apt sources.
#
#   scripts/fresh-machine.sh quickstart [REPO]
#       Node and npm copied in from this machine; git, python3, make, g++ and cmake installed;
#       REPO (default: this checkout; its committed HEAD) cloned; then the README's two quick-start
#       commands, `npm run setup && npm start` and `npm test`, run in the clone, each followed by
#       its exit status and time.
#   scripts/fresh-machine.sh tarball FILE.tgz
#       Node and npm only (no compiler, no BLAS): FILE.tgz (from `npm pack`) installed into an
#       empty project, then `mfl doctor` and a short `mfl sgld`, which must run on the native
#       backend from the prebuilt addon.
#
# What makes package installs behave as on this machine is copied in: the apt sources, npm's
# configuration, Node's headers (npm builds addons against them) and the CA certificates.
# The bare root is cached (MFL_FRESH_CACHE, default /var/tmp/mfl-fresh-bookworm.tar); each run
# unpacks a new copy into MFL_FRESH_ROOT (default /var/tmp/mfl-fresh-root), removed at the end
# unless MFL_FRESH_KEEP=1. Exit status: 0 when every command did.
set -euo pipefail

mode=${1:-}
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${MFL_FRESH_CACHE:-/var/tmp/mfl-fresh-bookworm.tar}
root=${MFL_FRESH_ROOT:-/var/tmp/mfl-fresh-root}
suite=bookworm

say() { printf 'fresh-machine: %s\n' "$*"; }
die() { say "$*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount)"
case "$mode" in
  quickstart) repo=${2:-$here} ;;
  tarball) tarball=$(readlink -f "${2:?tarball FILE.tgz}") && [ -f "$tarball" ] || die "no file $2" ;;
  *) die "usage: $0 quickstart [REPO] | tarball FILE.tgz" ;;
esac
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"

# The first Debian mirror of this machine's apt sources (deb822 or one-line format).
mirror() {
  local uri
  uri=$(grep -hs -E '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$uri" ] || uri=$(grep -hs -E '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
    awk '{print $2}' | grep -v security | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# Unmounts everything mounted under the root, deepest first: a run killed before its clean-up
# leaves its bind mounts, and removing the root through them would remove what they show (the
# repository among them, which --one-file-system does not protect: same file system).
unmount_all() {
  local m
  awk -v r="$root/" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}
remove_root() {
  unmount_all
  if awk -v r="$root/" 'index($2, r) == 1 {found = 1} END {exit !found}' /proc/self/mounts; then
    die "cannot unmount everything under $root; not removing it"
  fi
  rm -rf --one-file-system "$root"
}
cleanup() {
  unmount_all
  if [ "${MFL_FRESH_KEEP:-0}" != 1 ] && [ -d "$root" ]; then remove_root; fi
}
trap cleanup EXIT

bind() { # bind SRC DEST-inside-root
  mkdir -p "$root$2"
  mount --bind "$1" "$root$2"
}

# A minimal Debian: what debootstrap's minbase variant installs, nothing more.
if [ ! -f "$cache" ]; then
  say "debootstrap $suite (minbase) from $(mirror), cached in $cache"
  tmp=$(mktemp -d /var/tmp/mfl-debootstrap.XXXXXX)
  debootstrap --variant=minbase "$suite" "$tmp" "$(mirror)" >/var/tmp/mfl-debootstrap.log 2>&1 ||
    { tail -n 20 /var/tmp/mfl-debootstrap.log; die "debootstrap failed (log: /var/tmp/mfl-debootstrap.log)"; }
  tar -C "$tmp" -cf "$cache" .
  rm -rf --one-file-system "$tmp"
fi
remove_root
mkdir -p "$root"
tar -C "$root" -xf "$cache"

# This machine's apt sources, CA certificates, npm configuration, Node and npm.
rm -f "$root/etc/apt/sources.list"
cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/"
find "$root/etc/apt/sources.list.d" -name '*.disabled*' -delete
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/"
mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
node=$(readlink -f "$(command -v node)")
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
cp "$node" "$root/usr/bin/node"
mkdir -p "$root/usr/lib/node_modules"
cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
for f in "$(npm config get globalconfig)" "$(npm config get userconfig)"; do
  [ -f "$f" ] && mkdir -p "$root$(dirname "$f")" && cp "$f" "$root$f"
done
nodedir=$(npm config get nodedir)
if [ -n "$nodedir" ] && [ "$nodedir" != undefined ] && [ -d "$nodedir/include/node" ]; then
  mkdir -p "$root$nodedir/include"
  cp -a "$nodedir/include/node" "$root$nodedir/include/"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

bind /proc /proc
bind /sys /sys
bind /dev /dev
bind /dev/pts /dev/pts
mkdir -p "$root/dev/shm"

# Runs a command in the root with a clean login-like environment; the certificate variables and
# the OpenBLAS kernel settings of this machine come along.
in_root() {
  local keep=()
  for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR GIT_SSL_CAINFO OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; do
    [ -n "${!v:-}" ] && keep+=("$v=${!v}")
  done
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${keep[@]}" \
    /bin/bash -c "$1"
}

status=0
# Runs one command in the root, printing its exit status and wall time.
step() {
  local start end rc
  say "\$ $1"
  start=$(date +%s)
  set +e
  in_root "$1"
  rc=$?
  set -e
  end=$(date +%s)
  say "exit $rc after $((end - start)) s: $1"
  [ "$rc" -eq 0 ] || status=1
  return 0
}

say "root: $root ($(in_root '. /etc/os-release; echo "$PRETTY_NAME"'), node $(in_root 'node --version'), npm $(in_root 'npm --version'))"
apt_install="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq"

if [ "$mode" = quickstart ]; then
  in_root "$apt_install git python3 make g++ cmake >/dev/null"
  # The repository is reached through a bind mount, then cloned as a user would.
  bind "$(cd "$repo" && git rev-parse --show-toplevel)" /mnt/repo
  in_root 'git config --global --add safe.directory "*" && git clone -q /mnt/repo /root/mfl'
  say "cloned $(in_root 'git -C /root/mfl log -1 --format="%h %s"')"
  step 'cd /root/mfl && npm run setup && npm start'
  step 'cd /root/mfl && npm test'
else
  in_root 'test ! -e /usr/lib/x86_64-linux-gnu/libopenblas.so.0 && ! command -v g++ && ! command -v cc' >/dev/null ||
    die "the root has a compiler or OpenBLAS: not a fair test"
  bind "$(dirname "$tarball")" /mnt/pack
  step "mkdir -p /root/try && cd /root/try && npm init -y >/dev/null && npm install --no-audit --no-fund /mnt/pack/$(basename "$tarball")"
  step 'cd /root/try && npx mfl doctor && npx mfl doctor --json | node -e "const r = JSON.parse(require(\"fs\").readFileSync(0, \"utf8\")); if (r.backend !== \"native\") { console.error(\"backend: \" + r.backend + \" (\" + r.native.reason + \")\"); process.exit(1); }"'
  step 'cd /root/try && npx mfl sgld --task parity --d 8 --k 2 --P 100 --N 32 --kappa 0.05 --steps 2000 --seed 1'
fi
say "done: exit $status"
exit "$status"
