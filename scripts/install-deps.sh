#!/usr/bin/env bash
# Installs the Debian packages kfarm needs. Idempotent: apt runs only when
# something is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  postgresql-15 postgresql-client-15   # the farm's database
  rabbitmq-server librabbitmq-dev      # the build queues, and the C client the AMQP target wraps
  curl ca-certificates                 # the README's curl examples, health checks
  python3-venv                         # schemathesis for the API contract check
  gcc make binutils                    # the x86_64 toolchain workers build with
  gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu   # the arm64 and riscv64 cross toolchains (gcc 12)
  gcc-11 gcc-11-aarch64-linux-gnu               # gcc 11 where Debian ships it (workers/toolchains/gcc-11.json)
  clang-16 lld-16 llvm-16                       # clang 16 for all three (LLVM=-16: clang, ld.lld, llvm-objcopy, …)
  linux-source-6.1 bc bison flex libelf-dev libssl-dev cpio xz-utils kmod   # real kernels: the 6.1 source and what its build needs
  qemu-system-x86 qemu-system-arm qemu-system-misc ccache   # boot tests of built kernels; compiler cache
  libzstd-dev zstd pkg-config          # artifact compression (the Zstd target) and the tool its tests check against
  dpkg-dev fakeroot rsync              # options.packages deb: the kernel's make bindeb-pkg (dpkg-buildpackage under fakeroot; headers_install uses rsync)
  bubblewrap util-linux                # the build sandbox (bwrap) and setpriv, which drops a root worker's builds to nobody
  git                                  # kernels and external modules from git (the worker's mirror cache; git daemon in tests)
  tmux                                 # the client's live view, tested as a person sees it on a terminal
  prometheus                           # promtool, which checks the /metrics exposition in the test command
  chromium                             # the dashboard's browser tests (driven by Playwright)
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
