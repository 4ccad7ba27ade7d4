#!/usr/bin/env bash
# Installs what logit needs on Debian/Ubuntu, only if it is missing: hiredis headers, Redis, pkg-config.
set -euo pipefail
missing=()
pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v curl >/dev/null || missing+=(curl)  # the end-to-end test drives the server with curl too
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)  # for schemathesis, below
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
# Schemathesis (PyPI) for the live contract check of `make test` (scripts/api_contract.py).
if ! python3 -c 'import schemathesis' 2>/dev/null; then
  python3 -m pip install --quiet schemathesis 2>/dev/null || python3 -m pip install --quiet --break-system-packages schemathesis \
    || echo "setup: could not install schemathesis; make test will skip the live contract check" >&2
fi
# What scripts/export_check.py (make test) runs the exported models with: onnxruntime, scikit-learn and Triton's client.
export_modules=(onnx onnxruntime sklearn tritonclient.http numpy requests)
export_packages=(onnx onnxruntime scikit-learn 'tritonclient[http]' numpy requests)
if ! python3 -c "import $(IFS=,; echo "${export_modules[*]}")" 2>/dev/null; then
  python3 -m pip install --quiet "${export_packages[@]}" 2>/dev/null || python3 -m pip install --quiet --break-system-packages "${export_packages[@]}" \
    || echo "setup: could not install ${export_packages[*]}; make test will skip the export checks" >&2
fi
# The dashboard's browser test (scripts/dashboard_check.py): Debian's chromium and its driver, and selenium (PyPI).
browser_missing=()
command -v chromium >/dev/null || browser_missing+=(chromium)
command -v chromedriver >/dev/null || browser_missing+=(chromium-driver)
if [ ${#browser_missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${browser_missing[@]}"; } \
    || echo "setup: could not install ${browser_missing[*]}; make test will skip the browser test" >&2
fi
if ! python3 -c 'import selenium' 2>/dev/null; then
  python3 -m pip install --quiet selenium 2>/dev/null || python3 -m pip install --quiet --break-system-packages selenium \
    || echo "setup: could not install selenium; make test will skip the browser test" >&2
fi
# Debian starts a system redis-server on 6379 when it installs the package; logit dev would then use that one.
# Leave it running: it is configured by the system, and logit works with any Redis 6.2+.
