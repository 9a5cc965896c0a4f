#!/usr/bin/env bash
# Make sure what the tests need is here: Debian's docker.io (when there is no dockerd),
# debootstrap and busybox-static (test images), tmux and time (CLI and benchmark tests), iproute2
# and openssl (the network tests' test internet), curl, musl-tools (the static egress proxy's
# TLS code is C, compiled with musl-gcc); then make
# sure a Docker engine answers: start dockerd in the background (log in /tmp/dockerd.log) and wait
# until `docker info` answers. Idempotent: installs nothing present, starts nothing running.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v tmux >/dev/null 2>&1 || need+=(tmux)          # the CLI's interactive-terminal test
[ -x /usr/bin/time ] || need+=(time)                     # the benchmark's peak-memory row
command -v ip >/dev/null 2>&1 || need+=(iproute2)        # the network tests' test internet
command -v openssl >/dev/null 2>&1 || need+=(openssl)    # its TLS server's certificate
command -v curl >/dev/null 2>&1 || need+=(curl)          # the proxy's interception tests
command -v musl-gcc >/dev/null 2>&1 || need+=(musl-tools) # the static proxy's TLS (ring's C code)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry) # a registry of the tests' own (pulls)
"$(dirname "$0")/apt-install.sh" ${need[@]+"${need[@]}"}

# The in-sandbox exec helper is built static for musl when that target is installed (else for
# gnu with crt-static): add it when rustup can, and go on without it when it cannot.
musl="$(uname -m)-unknown-linux-musl"
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed 2>/dev/null | grep -qx "$musl"; then
  rustup target add "$musl" >/dev/null 2>&1 \
    || echo "note: could not add the $musl target; the exec helper will be built with crt-static" >&2
fi

if docker info >/dev/null 2>&1; then
  echo "docker engine: already answering"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "error: no Docker engine answers; start dockerd (as root) or set DOCKER_HOST" >&2
  exit 1
fi

echo "starting dockerd (log: /tmp/dockerd.log)"
nohup dockerd >/tmp/dockerd.log 2>&1 &
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    echo "docker engine: up ($(docker version --format '{{.Server.Version}} API {{.Server.APIVersion}}'))"
    exit 0
  fi
  sleep 0.5
done
echo "error: dockerd did not answer within 60 s; its log:" >&2
tail -30 /tmp/dockerd.log >&2
exit 1
