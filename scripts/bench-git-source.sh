#!/usr/bin/env bash
# The git source benchmark: a repository of Debian's 6.1 tree (made once by
# scripts/kernel-git-repos.sh) served by `git daemon` on 127.0.0.1, checked
# out as a worker does (kfarm bench git-source: first into an empty mirror
# cache, then again) beside `git clone --mirror` + `git archive | tar -x`
# and `git fetch` in the same run. Prints figures; asserts nothing; stops
# the daemon it started.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=/tmp/kfarm-git-repositories
PORT=19418
scripts/install-deps.sh >/dev/null
swift build -c release --product kfarm >/dev/null
KFARM=$(swift build -c release --show-bin-path)/kfarm
# The tree a worker unpacks into its default source cache.
TREE=/tmp/kfarm-kernel-sources/linux-6.1/linux-source-6.1
[ -d "$TREE" ] || { mkdir -p "$(dirname "$TREE")"; tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$(dirname "$TREE")"; }
scripts/kernel-git-repos.sh make "$ROOT" "$TREE" workers/kernel/hello >/dev/null

git daemon --reuseaddr --listen=127.0.0.1 --port=$PORT --export-all --base-path="$ROOT" "$ROOT" & DAEMON=$!
trap 'kill $DAEMON 2>/dev/null' EXIT
sleep 1
"$KFARM" bench git-source --url "git://127.0.0.1:$PORT/linux.git" --ref v6.1-kfarm
