#!/usr/bin/env bash
# Build, from nothing but Debian's packages, the images docksandbox's tests and README use.
# No registry is needed. Idempotent: an image whose recipe has not changed is skipped.
#
#   docksandbox/busybox:test   a static busybox in an empty rootfs (~2 MB): fast tests
#   docksandbox/base:latest    Debian bookworm (debootstrap minbase) with bash, git, sudo, curl,
#                              ca-certificates, procps and a non-root `agent` user with
#                              passwordless sudo: realistic tests and the default template
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
recipe=$(sha256sum "$here/build-images.sh" | cut -c1-16)
mirror=${DOCKSANDBOX_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # The mirror apt is configured with (deb822 or one-line sources).
  mirror=$(grep -hoE '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | awk '{print $2}' | grep -v security | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi

have() { # have IMAGE: the image exists and was built by this recipe
  [ "$(docker image inspect -f '{{index .Config.Labels "docksandbox.recipe"}}' "$1" 2>/dev/null)" = "$recipe" ]
}

need_pkg() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if have docksandbox/busybox:test; then
  echo "docksandbox/busybox:test: up to date"
else
  need_pkg busybox busybox-static
  bb=$(command -v busybox)
  file -L "$bb" 2>/dev/null | grep -q 'dynamically' && bb=/bin/busybox
  root="$work/busybox"
  mkdir -p "$root"/{bin,etc,tmp,home,root,proc,sys,dev,run,var/run}
  chmod 1777 "$root/tmp"
  cp "$bb" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' \
    --change "LABEL docksandbox.recipe=$recipe" - docksandbox/busybox:test >/dev/null
  echo "docksandbox/busybox:test: built"
fi

if have docksandbox/base:latest; then
  echo "docksandbox/base:latest: up to date"
else
  need_pkg debootstrap debootstrap
  root="$work/debian"
  echo "debootstrap bookworm from $mirror (about half a minute)"
  debootstrap --variant=minbase \
    --include=bash,git,sudo,curl,ca-certificates,procps,less \
    bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
  chroot "$root" /usr/sbin/useradd --create-home --uid 1000 --user-group --shell /bin/bash agent
  echo 'agent ALL=(ALL) NOPASSWD:ALL' >"$root/etc/sudoers.d/agent"
  chmod 0440 "$root/etc/sudoers.d/agent"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' \
    --change "LABEL docksandbox.recipe=$recipe" - docksandbox/base:latest >/dev/null
  echo "docksandbox/base:latest: built"
fi
