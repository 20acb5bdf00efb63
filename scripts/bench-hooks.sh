#!/usr/bin/env bash
# Wall time of the pre-commit hook: `leakhound protect --staged` for a
# one-file and a 50-file staged change, and the same through `pre-commit run`
# (leakhound-system hook) next to a no-op hook (pre-commit's own overhead).
#
#   scripts/bench-hooks.sh [REPO] [LEAKHOUND] [RUNS]
#
# REPO defaults to the medium corpus (../shared/bench/make-corpus.sh);
# it is copied, never edited. LEAKHOUND defaults to target/release/leakhound.
# Needs hyperfine and pre-commit. This repository must have committed
# .pre-commit-hooks.yaml (pre-commit clones it at HEAD).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=${1:-/work/bench/medium/repo}
bin=${2:-$here/target/release/leakhound}
runs=${3:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin"
cp "$bin" "$work/bin/leakhound"
export PATH=$work/bin:$PATH PRE_COMMIT_HOME=$work/pre-commit NO_COLOR=1
pre_commit=$(command -v pre-commit)
# pyenv and similar shims add their own startup: call the real script.
if command -v pyenv >/dev/null && pyenv which pre-commit >/dev/null 2>&1; then
  pre_commit=$(pyenv which pre-commit)
fi

cp -a "$repo" "$work/repo"
cd "$work/repo"
git reset -q --hard
write_config() {
  cat > .pre-commit-config.yaml <<EOF
repos:
  - repo: $here
    rev: $(git -C "$here" rev-parse HEAD)
    hooks:
      - id: leakhound-system
  - repo: local
    hooks:
      - id: noop
        name: no-op (pre-commit overhead)
        entry: "true"
        language: system
        pass_filenames: false
        always_run: true
EOF
}
write_config
"$pre_commit" install-hooks >/dev/null

mapfile -t files < <(git ls-files | grep -vE '(^|/)\.|\.(png|jpg|gif|ico|pdf|zip|gz|lock)$' | head -50)
for n in 1 50; do
  git reset -q --hard
  write_config
  for f in "${files[@]:0:$n}"; do
    printf '\n// changed by bench-hooks\n' >> "$f"
  done
  git add -- "${files[@]:0:$n}" .pre-commit-config.yaml
  echo "== $n file(s) staged: $(git diff --cached --shortstat)"
  "$work/bin/leakhound" protect --staged | tail -1
  hyperfine -N --warmup 5 --runs "$runs" -i \
    -n "protect --staged ($n)" "$work/bin/leakhound protect --staged" \
    -n "pre-commit run leakhound-system ($n)" "$pre_commit run leakhound-system" \
    -n "pre-commit run noop ($n)" "$pre_commit run noop"
done
