# docksandbox agent template: the `base` template plus one npm-distributed coding agent.
# PACKAGE and BINARY come from templates.json; the CA arguments only when a CA bundle is given.
ARG PARENT=docksandbox/base:latest
FROM ${PARENT}
ARG PACKAGE
ARG BINARY
ARG NPM_REGISTRY=https://registry.npmjs.org
ARG SSL_CERT_FILE
ARG NODE_EXTRA_CA_CERTS
RUN set -eu; \
    npm install --global --no-fund --no-audit --registry "$NPM_REGISTRY" "$PACKAGE"; \
    npm cache clean --force; \
    command -v "$BINARY"
# The agents update themselves into /usr/local, which the sandbox user cannot write: the
# template's version is the one that runs. Rebuild the template to update.
ENV DISABLE_AUTOUPDATER=1
