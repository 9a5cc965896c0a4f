# docksandbox template `base` (also the `shell` agent's template): Debian with the tools coding
# agents expect, Node.js for the npm-distributed agents, and a non-root `agent` user with
# passwordless sudo. Every agent template is built FROM it.
#
# Build arguments are set by docksandbox from templates.json; the CA arguments only when a CA
# bundle is given (`--ca-bundle` / DOCKSANDBOX_CA_BUNDLE), so builds behind TLS-inspecting proxies work.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
ARG NODE_VERSION
ARG NPM_VERSION
ARG NPM_REGISTRY=https://registry.npmjs.org
ARG SSL_CERT_FILE
ARG CURL_CA_BUNDLE
ARG GIT_SSL_CAINFO
ARG REQUESTS_CA_BUNDLE
ARG NODE_EXTRA_CA_CERTS
# Empty unless a CA bundle is given.
COPY docksandbox-ca.crt /etc/docksandbox/ca-bundle.crt
RUN set -eu; \
    if [ -s /etc/docksandbox/ca-bundle.crt ]; then \
      echo 'Acquire::https::CAInfo "/etc/docksandbox/ca-bundle.crt";' >/etc/apt/apt.conf.d/90docksandbox-ca; \
    fi; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      bash ca-certificates curl git gh jq less openssh-client procps python3 ripgrep sudo; \
    rm -rf /var/lib/apt/lists/*
# Node.js and npm from the npm registry (the node-linux-* packages carry the official binary):
# Debian bookworm's Node 18 is too old for Gemini CLI (>= 20) and Copilot CLI (>= 22).
RUN set -eu; \
    case "$(dpkg --print-architecture)" in amd64) arch=x64 ;; arm64) arch=arm64 ;; \
      *) echo "no Node.js build for $(dpkg --print-architecture)" >&2; exit 1 ;; esac; \
    curl -fsSL "$NPM_REGISTRY/node-linux-$arch/-/node-linux-$arch-$NODE_VERSION.tgz" \
      | tar -xz -C /usr/local/bin --strip-components=2 package/bin/node; \
    mkdir -p /usr/local/lib/node_modules/npm; \
    curl -fsSL "$NPM_REGISTRY/npm/-/npm-$NPM_VERSION.tgz" \
      | tar -xz -C /usr/local/lib/node_modules/npm --strip-components=1; \
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; \
    node --version; npm --version
# The docker CLI (Debian's docker.io without its engine) and docker-compose, with a `docker
# compose` plugin shim: what `--docker scoped` sandboxes talk to their scoped engine with.
RUN set -eu; \
    apt-get update; \
    cd /tmp; apt-get download docker.io; dpkg-deb -x docker.io_*.deb /tmp/docker.io; \
    install -m 0755 /tmp/docker.io/usr/bin/docker /usr/local/bin/docker; \
    rm -rf /tmp/docker.io /tmp/docker.io_*.deb; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-compose; \
    rm -rf /var/lib/apt/lists/*; \
    mkdir -p /usr/local/lib/docker/cli-plugins; \
    printf '%s\n' '#!/bin/sh' \
      'if [ "$1" = docker-cli-plugin-metadata ]; then' \
      '  echo "{\"SchemaVersion\":\"0.1.0\",\"Vendor\":\"docksandbox\",\"Version\":\"1.29\",\"ShortDescription\":\"docker-compose\"}"; exit 0; fi' \
      'shift; exec docker-compose "$@"' >/usr/local/lib/docker/cli-plugins/docker-compose; \
    chmod 0755 /usr/local/lib/docker/cli-plugins/docker-compose; \
    docker --version; docker-compose --version
RUN set -eu; \
    id agent >/dev/null 2>&1 || useradd --create-home --uid 1000 --user-group --shell /bin/bash agent; \
    echo 'agent ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/agent; \
    chmod 0440 /etc/sudoers.d/agent
ENV LANG=C.UTF-8
CMD ["/bin/bash"]
