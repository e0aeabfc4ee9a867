#!/usr/bin/env bash
# Git repositories of a kernel and an out-of-tree module, for the whole-farm
# test and the git benchmark (served by `git daemon --base-path ROOT`):
#   scripts/kernel-git-repos.sh make ROOT TREE MODULE
#     ROOT/linux.git: the kernel tree TREE committed as it is (tag
#     v6.1-kfarm; branch main reset onto it), made once per ROOT: git adds
#     the tree through a separate index, nothing is copied; ROOT/hello.git:
#     the module directory MODULE (tag v1). Prints the tag's commit.
#   scripts/kernel-git-repos.sh move ROOT NOTE
#     moves main on by a new commit setting EXTRAVERSION = -moved; prints it.
set -euo pipefail
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME=kfarm GIT_AUTHOR_EMAIL=kfarm@example.org \
  GIT_COMMITTER_NAME=kfarm GIT_COMMITTER_EMAIL=kfarm@example.org

commit_tree() {  # repository, work tree, message: the commit of the whole work tree
  local index; index=$(mktemp -u)
  GIT_INDEX_FILE=$index git --git-dir="$1" --work-tree="$2" add -f -A .
  git --git-dir="$1" commit-tree "$(GIT_INDEX_FILE=$index git --git-dir="$1" write-tree)" -m "$3"
  rm -f "$index"
}

case "${1:-}" in
  make)
    root=$2 tree=$3 module=$4
    export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
    mkdir -p "$root"
    if ! git --git-dir="$root/linux.git" rev-parse -q --verify 'refs/tags/v6.1-kfarm^{commit}' >/dev/null 2>&1; then
      rm -rf "$root/linux.git"
      git init -q --bare "$root/linux.git"
      # Serving the 6.1 tree skips the delta search, minutes on two cores.
      git --git-dir="$root/linux.git" config pack.window 0
      git --git-dir="$root/linux.git" tag v6.1-kfarm "$(commit_tree "$root/linux.git" "$tree" "Linux 6.1 (Debian linux-source-6.1)")"
    fi
    git --git-dir="$root/linux.git" update-ref refs/heads/main 'v6.1-kfarm^{commit}'
    rm -rf "$root/hello.git"
    git init -q --bare "$root/hello.git"
    git --git-dir="$root/hello.git" tag v1 "$(commit_tree "$root/hello.git" "$module" "hello module")"
    git --git-dir="$root/linux.git" rev-parse 'v6.1-kfarm^{commit}'
    ;;
  move)
    export GIT_DIR=$2/linux.git GIT_INDEX_FILE; GIT_INDEX_FILE=$(mktemp -u)
    blob=$(git cat-file blob main:Makefile | sed 's/^EXTRAVERSION =.*/EXTRAVERSION = -moved/' | git hash-object -w --stdin)
    git read-tree main
    git update-index --cacheinfo "100644,$blob,Makefile"
    commit=$(git commit-tree "$(git write-tree)" -p main -m "EXTRAVERSION -moved ($3)")
    rm -f "$GIT_INDEX_FILE"
    git update-ref refs/heads/main "$commit"
    echo "$commit"
    ;;
  *) echo "usage: $0 make ROOT TREE MODULE | move ROOT NOTE" >&2; exit 2 ;;
esac
