#!/usr/bin/env bash
# Installs what logit needs on Debian/Ubuntu, only if it is missing: hiredis headers, Redis, pkg-config.
set -euo pipefail
missing=()
pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v curl >/dev/null || missing+=(curl)  # the end-to-end test drives the server with curl too
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
# Debian starts a system redis-server on 6379 when it installs the package; logit dev would then use that one.
# Leave it running: it is configured by the system, and logit works with any Redis 6.2+.
