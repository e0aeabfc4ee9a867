#!/usr/bin/env bash
# The compilers benchmark: brings up a private farm (PostgreSQL, RabbitMQ,
# the release API and one kernel worker for all three architectures,
# without ccache, so every build really compiles), then builds the same
# small configuration (tinyconfig + boot symbols + a loadable module) with
# gcc-12 and with clang-16 for each architecture, alternating, $ROUNDS
# rounds (KFARM_BENCH_ROUNDS, default 1). Prints the compile stages' seconds
# per build and clang's ratio to gcc; asserts nothing; stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${KFARM_BENCH_ROUNDS:-1}"
PORT=18092
WORK=/tmp/kfarm-bench-compilers

source scripts/bench/private-farm.sh 54369 56769 56770
rm -rf "$WORK" && mkdir -p "$WORK"

"$KFARM" serve --port "$PORT" --broker-auth-port "$BROKER_AUTH_PORT" --artifact-dir "$WORK/artifacts" & pids+=($!)
until curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; do sleep 0.2; done
KFARM_WORKER_TOKEN="$WORKER_TOKEN" "$KFARM" worker --api-url "http://127.0.0.1:$PORT" --name bench-compilers \
  --no-ccache --work-dir "$WORK/worker" --source-cache /tmp/kfarm-kernel-sources & pids+=($!)

source scripts/bench/farm-api.sh
until [ "$(api GET /workers | field '["pagination"]["total"]')" = 1 ]; do sleep 0.5; done
project=$(api POST /projects '{"name":"bench-compilers"}' | field '["id"]')

results=()
for arch in x86_64 arm64 riscv64; do
  version=$(api POST /configurations "{\"name\":\"bench-$arch\",\"baseVersion\":\"6.1\",\"architecture\":\"$arch\",
    \"projectId\":\"$project\",\"modules\":[{\"name\":\"crc-ccitt\",\"path\":\"lib/crc-ccitt\",\"isBuiltin\":false}]}" \
    | field '["versions"][0]["id"]')
  for round in $(seq 1 "$ROUNDS"); do
    for compiler in gcc-12 clang-16; do
      id=$(build_of "$version" "{\"noCache\":true,\"compilerVersion\":\"$compiler\"}" 5)
      seconds=$(stage_seconds "$id" compiling_core compiling_modules)
      echo "$arch round $round $compiler: compile stages $seconds s"
      results+=("$arch $compiler $seconds")
    done
  done
done
printf '%s\n' "${results[@]}" | python3 -c '
import collections, sys
times = collections.defaultdict(list)
for line in sys.stdin:
    arch, compiler, seconds = line.split()
    times[arch, compiler].append(float(seconds))
for arch in ("x86_64", "arm64", "riscv64"):
    gcc = sum(times[arch, "gcc-12"]) / len(times[arch, "gcc-12"])
    clang = sum(times[arch, "clang-16"]) / len(times[arch, "clang-16"])
    print(f"{arch}: gcc-12 {gcc:.1f} s, clang-16 {clang:.1f} s: clang/gcc {clang/gcc:.2f}")
    print(f"BENCH {arch}_gcc12_compile_s={gcc:.2f} {arch}_clang16_compile_s={clang:.2f} {arch}_clang_to_gcc={clang/gcc:.3f}")'
