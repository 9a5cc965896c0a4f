#!/usr/bin/env bash
# apt-install.sh PACKAGE...: installs Debian packages as root, quietly (log in
# /tmp/docksandbox-apt.log); without root, says which `apt-get install` to run and fails.
set -euo pipefail
[ $# -gt 0 ] || exit 0
if [ "$(id -u)" != 0 ]; then
  echo "error: $* missing; install it as root (apt-get install $*)" >&2
  exit 1
fi
echo "installing $* from Debian's packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/tmp/docksandbox-apt.log 2>&1 \
  || { tail -20 /tmp/docksandbox-apt.log >&2; exit 1; }
