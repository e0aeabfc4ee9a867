#!/usr/bin/env bash
# The kernel benchmark: brings up a private farm (PostgreSQL, RabbitMQ, the
# release API and one kernel worker without ccache, so every build really
# compiles), then, in the same run and on the same machine:
#   1. a real kernel (tinyconfig + boot symbols + a loadable module) through
#      the farm, and bare `make` of the same .config with the same -j and
#      targets; alternating rounds; compile-stage overhead per round, and the
#      CPU the farm's own processes used during each side;
#   2. the same configuration again: a build cache hit, submit → completed;
#   3. peak RSS of the API server and the worker over the run;
#   4. packaging the build's staging tree (kfarm bench package) vs
#      `tar | zstd -3 -T0`, median of 5 each;
#   5. a multi-GiB stream through the Zstd target (kfarm bench zstd) vs the
#      `zstd -3 -T0` CLI on the same file.
# Prints figures and ratios; asserts nothing; stops everything it started.
#   KFARM_BENCH_ARCH (default x86_64), KFARM_BENCH_ZSTD_GIB (default 2), KFARM_BENCH_ROUNDS (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."

ARCH="${KFARM_BENCH_ARCH:-x86_64}"
ZSTD_GIB="${KFARM_BENCH_ZSTD_GIB:-2}"
ROUNDS="${KFARM_BENCH_ROUNDS:-3}"
PORT=18091
WORK=/tmp/kfarm-bench-kernel
SOURCES=/tmp/kfarm-kernel-sources

source scripts/bench/private-farm.sh 54359 56759 56760
rm -rf "$WORK" && mkdir -p "$WORK"

"$KFARM" serve --port "$PORT" --broker-auth-port "$BROKER_AUTH_PORT" --artifact-dir "$WORK/artifacts" & SERVER=$!; pids+=($SERVER)
until curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; do sleep 0.2; done
KFARM_WORKER_TOKEN="$WORKER_TOKEN" "$KFARM" worker --api-url "http://127.0.0.1:$PORT" --name bench-kernel \
  --architecture "$ARCH" --no-ccache --keep-workspaces --work-dir "$WORK/worker" --source-cache "$SOURCES" & WORKER=$!
pids+=($WORKER)

source scripts/bench/farm-api.sh
until [ "$(api GET /workers | field '["pagination"]["total"]')" = 1 ]; do sleep 0.5; done

project=$(api POST /projects '{"name":"bench-kernel"}' | field '["id"]')
version=$(api POST /configurations "{\"name\":\"bench-$ARCH\",\"baseVersion\":\"6.1\",\"architecture\":\"$ARCH\",
  \"projectId\":\"$project\",\"modules\":[{\"name\":\"crc-ccitt\",\"path\":\"lib/crc-ccitt\",\"isBuiltin\":false}]}" \
  | field '["versions"][0]["id"]')

build() { build_of "$version" "$@"; }

TREE="$SOURCES/linux-6.1/linux-source-6.1"
case "$ARCH" in x86_64) KARCH=x86 IMAGE=bzImage CROSS= ;; arm64) KARCH=arm64 IMAGE=Image CROSS=aarch64-linux-gnu- ;;
  riscv64) KARCH=riscv IMAGE=Image CROSS=riscv64-linux-gnu- ;; esac
# Bare make of the build's own final .config: the farm's compile stages' targets, same -j.
bare() { # BUILD → seconds
  local out="$WORK/bare-$1"; mkdir -p "$out"
  cp "$WORK/worker/$1/attempt-1/work/out/.config" "$out/.config"
  make -s -C "$TREE" O="$out" ARCH=$KARCH CROSS_COMPILE=$CROSS CC=${CROSS}gcc-12 olddefconfig >/dev/null
  local start end; start=$(date +%s.%N)
  make -C "$TREE" O="$out" ARCH=$KARCH CROSS_COMPILE=$CROSS CC=${CROSS}gcc-12 -j"$(nproc)" $IMAGE >/dev/null 2>&1
  make -C "$TREE" O="$out" ARCH=$KARCH CROSS_COMPILE=$CROSS CC=${CROSS}gcc-12 -j"$(nproc)" modules >/dev/null 2>&1
  end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 2))"
}

echo "== 1. a real $ARCH kernel: through the farm vs bare make, $ROUNDS rounds, alternating"
# Each side's figure with what the farm's own processes (API, worker,
# PostgreSQL, RabbitMQ) used meanwhile: during bare make they idle beside it.
farm_times=(); bare_times=()
for round in $(seq 1 "$ROUNDS"); do
  python3 scripts/bench/cpu-use.py snapshot "$WORK/cpu"; start=$(date +%s.%N)
  id=$(build '{"noCache":true}' 2)
  python3 scripts/bench/cpu-use.py report "$WORK/cpu" "$(python3 -c "print($(date +%s.%N) - $start)")"
  farm=$(stage_seconds "$id" compiling_core compiling_modules)
  total=$(psql -qAt "$KFARM_DATABASE_URL" -c "SELECT round(extract(epoch FROM completed_at - started_at)::numeric, 1) FROM builds WHERE id = '$id'")
  stages=$(psql -qAt "$KFARM_DATABASE_URL" -c "SELECT string_agg(name || ' ' || round(extract(epoch FROM completed_at - started_at)::numeric, 1) || ' s', ', ' ORDER BY position) FROM build_stages WHERE build_id = '$id'")
  python3 scripts/bench/cpu-use.py snapshot "$WORK/cpu"
  bare_s=$(bare "$id")
  python3 scripts/bench/cpu-use.py report "$WORK/cpu" "$bare_s" | sed 's/^/  (bare make) /'
  echo "round $round: farm compile stages $farm s (whole build $total s: $stages); bare make $bare_s s"
  farm_times+=("$farm"); bare_times+=("$bare_s"); last=$id
done
python3 -c "
f=[${farm_times[*]/%/,}]; b=[${bare_times[*]/%/,}]
fm=sum(f)/len(f); bm=sum(b)/len(b)
rounds=', '.join(f'{100*(x-y)/y:+.1f}%' for x, y in zip(f, b))
print(f'compile: farm mean {fm:.1f} s vs bare make {bm:.1f} s: overhead {100*(fm-bm)/bm:+.1f}% (rounds {rounds}; target <= 3%)')
print(f'BENCH farm_compile_s={fm:.2f} bare_compile_s={bm:.2f} overhead_percent={100*(fm-bm)/bm:.2f}')"

echo "== 2. the same configuration again: a build cache hit"
start=$(date +%s.%N); hit=$(build '{}' 0.02); end=$(date +%s.%N)
psql -qAt "$KFARM_DATABASE_URL" -c "SELECT format('cache hit: cachedFrom %s; submit → completed %s s as the benchmark saw it (polling the database every 20 ms), %s s in the database (claim → completed %s s)',
    cached_from, round(($end - $start)::numeric, 2), round(extract(epoch FROM completed_at - started_at)::numeric, 2),
    round(extract(epoch FROM completed_at - claimed_at)::numeric, 2)) FROM builds WHERE id = '$hit'"

echo "== 3. peak memory over the run"
for name in SERVER WORKER; do
  pid=${!name}; echo "$name peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$pid/status)"
done

echo "== 4. packaging vs tar | zstd -3 -T0 (median of 5; kfarm's own clock, without process start)"
# The build's staging tree (a tinyconfig kernel: small), and its whole
# output directory packed as one (the size of a large kernel's modules).
python3 - "$KFARM" "$WORK" "$WORK/worker/$last/attempt-1/staging" "$WORK/worker/$last/attempt-1/work/out" <<'PY'
import re, statistics, subprocess, sys, time
kfarm, work, *trees = sys.argv[1:]
def ours(tree):
    out = subprocess.run([kfarm, "bench", "package", "--staging", tree, "--output", f"{work}/pkg"],
                         check=True, capture_output=True, text=True).stdout
    return float(re.search(r"package_seconds=([0-9.]+)", out).group(1))
def cli(tree):
    start = time.perf_counter()
    subprocess.run(f"tar -C {tree} -cf - . | zstd -3 -T0 -q -f -o {work}/cli.tar.zst", shell=True, check=True)
    return time.perf_counter() - start
for tree in trees:
    size = int(subprocess.run(["du", "-sb", tree], capture_output=True, text=True).stdout.split()[0]) / 1e6
    k = statistics.median(ours(tree) for _ in range(5))
    c = statistics.median(cli(tree) for _ in range(5))
    print(f"packaging {tree.rsplit('/', 1)[1]} ({size:.1f} MB): kfarm {k:.3f} s = {size/k:.0f} MB/s (tar, zstd -3 with one "
          f"thread per core, sha256 of every file and of the tarball) vs tar | zstd -3 -T0 {c:.3f} s = {size/c:.0f} MB/s: "
          f"{c/k*100:.0f}% of the CLI's throughput (target >= 90%)")
PY

echo "== 5. $ZSTD_GIB GiB through the Zstd target vs the zstd CLI (the kernel source tree as data)"
INPUT="$WORK/zstd-input"
# The tree as a tar stream is over 1 GiB: GiB + 1 copies are enough (tar stops at head's end).
for _ in $(seq 0 "$ZSTD_GIB"); do tar -C "$TREE" -cf - . 2>/dev/null || true; done | head -c $((ZSTD_GIB << 30)) > "$INPUT"
"$KFARM" bench zstd --input "$INPUT" --level 3
start=$(date +%s.%N); zstd -3 -T0 -q -f "$INPUT" -o "$WORK/cli.zst"; end=$(date +%s.%N)
python3 -c "print(f'zstd CLI -3 -T0: {($ZSTD_GIB << 30)/1e6/($end-$start):.0f} MB/s compressing the same file')"
rm -f "$INPUT" "$INPUT.kfarm.zst" "$WORK/cli.zst"
