#!/usr/bin/env bash
# Build, from nothing but Debian's packages, the images docksandbox's tests and README use.
# No registry is needed. Idempotent: an image whose recipe has not changed is skipped.
#
#   docksandbox/busybox:test   a static busybox in an empty rootfs (~2 MB): fast tests
#   docksandbox/debian:bookworm  Debian bookworm from debootstrap (no registry needed)
#   docksandbox/base:latest      the `base` template on it (also the shell agent's template)
#   docksandbox/claude:latest    the `claude` and `codex` templates on base
#   docksandbox/codex:latest
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
recipe=$(sha256sum "$here/build-images.sh" | cut -c1-16)
have() { # have IMAGE: the image exists and was built by this recipe
  [ "$(docker image inspect -f '{{index .Config.Labels "docksandbox.recipe"}}' "$1" 2>/dev/null)" = "$recipe" ]
}

need_pkg() { # need_pkg COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || "$here/apt-install.sh" "$2"
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

# The agent templates: the core's own definitions (sandbox-core/templates/), built through the
# CLI and skipped when up to date. No registry here: --bootstrap produces their Debian base from
# Debian's packages (debootstrap); the host's CA bundle is trusted during the builds (npm, apt).
need_pkg debootstrap debootstrap
ca=${DOCKSANDBOX_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
args=(--bootstrap)
[ -f "$ca" ] && args+=(--ca-bundle "$ca")
cargo build -p docksandbox-cli   # cargo's own progress lines while it compiles
for template in ${DOCKSANDBOX_TEMPLATES:-claude codex}; do
  cargo run --quiet -p docksandbox-cli -- template build "$template" "${args[@]}"
done
