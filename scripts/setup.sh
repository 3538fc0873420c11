#!/usr/bin/env bash
# Installs the Debian 12 packages dirsync needs (only the missing ones) and
# configures + builds one build tree. Usage: scripts/setup.sh BUILD_DIR [cmake args...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?build directory}
shift

packages=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev libboost1.81-dev libboost-url1.81-dev nlohmann-json3-dev libsimdjson-dev catch2
  libsqlite3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libssl-dev libcurl4-openssl-dev libmimalloc-dev libboost-context1.81-dev python3 curl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$here" -B "$build" -G Ninja "$@"
cmake --build "$build" -j "$jobs"
