#!/usr/bin/env bash
# Sets up dirsync (Debian packages, build) and starts it on its embedded
# defaults: SQLite and mail folder under ./data, listening on 127.0.0.1:8080.
# Extra arguments go to `dirsyncd serve` (e.g. --config dirsync.toml).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/scripts/setup.sh" "$here/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIRSYNC_TESTS=OFF -DDIRSYNC_BENCH=OFF
cd "$here"
exec "$here/build/main/dirsyncd" serve "$@"
