#!/usr/bin/env bash
# Full-history benchmark: `leakhound scan --git` (delta-aware, the default)
# and `--no-delta-scan` (every blob in full) against a decode-only pass
# over the same objects with the same gix code (`--decode-only`), against the
# floor `git cat-file --batch-all-objects --batch`, and against Kingfisher
# when it is installed (`pip install kingfisher-bin`); then the ratios to the
# decode-only pass from rounds of back-to-back runs (robust to the machine's
# drift). Then checks that every credential planted by the corpus builder was
# found with the right commit.
#
# usage: scripts/bench-history.sh [OUT_DIR] [small|medium|large]
#   OUT_DIR defaults to /tmp/leakhound-bench; the corpus is built once with
#   ../shared/bench/make-corpus.sh (needs npm; tarballs are cached in OUT_DIR).
# Env: RUNS (default 5), LEAKHOUND (binary; default: target/release/leakhound,
#   built if missing), THREADS (default: all cores).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/leakhound-bench}
size=${2:-medium}
runs=${RUNS:-5}
corpus=$out/$size
repo=$corpus/repo
planted=$corpus/planted.tsv
maker=${MAKE_CORPUS:-$here/../shared/bench/make-corpus.sh}
[ -x "$maker" ] || maker=/work/shared/bench/make-corpus.sh

if [ ! -d "$repo/.git" ] || [ ! -s "$planted" ]; then
  echo "building the $size corpus in $corpus ..." >&2
  bash "$maker" "$corpus" "$size" >&2
fi

bin=${LEAKHOUND:-$here/target/release/leakhound}
if [ ! -x "$bin" ]; then
  (cd "$here" && cargo build --release -q)
fi
threads=${THREADS:-$(nproc)}

blob_bytes=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
  awk '$1 == "blob" { s += $2 } END { print s }')
pack_bytes=$(du -sb "$repo/.git/objects" | cut -f1)
echo "corpus: $repo"
echo "unique blob bytes: $blob_bytes ($(awk -v b="$blob_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')); objects dir $(awk -v b="$pack_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')"
echo "threads: $threads; runs: $runs; $(nproc) cores"
echo

# Reports go to files in $out, never to /dev/null (a tool that replaces its
# output file atomically would replace /dev/null).
scan="$bin scan --git $repo --quiet --format json --threads $threads --output $out/bench-delta.json"
full="$bin scan --git $repo --quiet --format json --threads $threads --no-delta-scan --output $out/bench-full.json"
decode="$bin scan --git $repo --quiet --format json --threads $threads --decode-only --output $out/bench-decode.json"
floor="git -C $repo cat-file --batch-all-objects --batch"
names=(leakhound no-delta decode-only cat-file)
cmds=("$scan" "$full" "$decode" "$floor")
if command -v kingfisher >/dev/null 2>&1; then
  names+=(kingfisher)
  # Kingfisher scans the checked-out files as well as the history.
  cmds+=("kingfisher scan $repo --no-validate --no-update-check --git-history full -j $threads --format json --output $out/bench-kingfisher.json --quiet")
fi

# Peak RSS and CPU time of one run each, with GNU time.
measure() { # name command -> "name wall_s user_s sys_s max_rss_kib"
  local name=$1 cmd=$2 tf
  tf=$(mktemp)
  /usr/bin/time -f '%e %U %S %M' -o "$tf" bash -c "$cmd" >/dev/null 2>&1 || true
  printf '%s %s\n' "$name" "$(tail -n 1 "$tf")"
  rm -f "$tf"
}

if command -v hyperfine >/dev/null 2>&1; then
  args=()
  for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
  # -i: a scan that finds credentials exits non-zero, as it should.
  hyperfine -N -i --warmup 1 --runs "$runs" --export-json "$out/hyperfine-$size.json" "${args[@]}"
fi

echo
printf '%-12s %9s %9s %9s %10s %10s\n' tool wall_s user_s sys_s rss_MiB MB/s
for i in "${!names[@]}"; do
  # Peak RSS from one GNU time run; wall (median) and CPU (mean) from
  # hyperfine when it ran, else from that one run.
  read -r name wall user sys rss < <(measure "${names[$i]}" "${cmds[$i]}")
  if [ -f "$out/hyperfine-$size.json" ]; then
    read -r wall user sys < <(python3 - "$out/hyperfine-$size.json" "$name" "$wall" "$user" "$sys" <<'PY'
import json, sys
path, name, *fallback = sys.argv[1:]
try:
    r = [x for x in json.load(open(path))["results"] if x["command"] == name][0]
    print("%.3f %.3f %.3f" % (r["median"], r["user"], r["system"]))
except Exception:
    print(*fallback)
PY
)
  fi
  printf '%-12s %9s %9s %9s %10.1f %10.1f\n' "$name" "$wall" "$user" "$sys" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
    "$(awk -v b="$blob_bytes" -v w="$wall" 'BEGIN { if (w > 0) print b / 1e6 / w; else print 0 }')"
done

echo
# This machine's speed drifts between runs, and hyperfine runs each command's
# runs in one block, so its ratios move with the drift. Rounds that run
# leakhound, no-delta and decode-only one after another give ratios that
# each compare runs made under the same conditions.
echo "ratio to decode-only, in $runs rounds of back-to-back runs (median, range):"
python3 - "$runs" "$scan" "$full" "$decode" <<'PY'
import shlex, statistics, subprocess, sys, time
runs, *cmds = sys.argv[1:]
names = ["leakhound", "no-delta"]
ratios = {n: [] for n in names}
for _ in range(int(runs)):
    walls = []
    for cmd in cmds:
        t = time.perf_counter()
        subprocess.run(shlex.split(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t)
    for n, w in zip(names, walls):
        ratios[n].append(w / walls[-1])
for n in names:
    r = ratios[n]
    print(f"  {n:10} {statistics.median(r):.2f}x  ({min(r):.2f}-{max(r):.2f}x)")
PY

echo
echo "bytes fed to the matcher (delta-aware vs every blob in full), and the oracle:"
python3 - "$out/bench-delta.json" "$out/bench-full.json" <<'PY'
import json, sys
d, f = (json.load(open(p))["summary"] for p in sys.argv[1:3])
print(f"  delta-aware: {d['matcher_bytes'] / 1e6:.1f} MB ({d['delta_blobs']} blobs from their delta, "
      f"full-scan fallbacks: {d.get('delta_fallbacks', {})})")
print(f"  full:        {f['matcher_bytes'] / 1e6:.1f} MB  -> {f['matcher_bytes'] / max(d['matcher_bytes'], 1):.2f}x fewer bytes")
PY
$bin scan --git "$repo" --quiet --format json --threads "$threads" --verify-delta-scan --output "$out/bench-oracle.json" || true
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("  " + "; ".join(n for n in s["notes"] if "oracle" in n))' "$out/bench-oracle.json"

echo
echo "planted credentials (rule, path, commit):"
report=$out/report-$size.json
$bin scan --git "$repo" --quiet --format json --threads "$threads" --output "$report" || true
python3 - "$planted" "$report" <<'PY'
import json, sys
planted_path, report_path = sys.argv[1:3]
report = json.load(open(report_path))
rows = [l.rstrip("\n").split("\t") for l in open(planted_path)][1:]
found_all = True
for commit, path, line, kind, secret, in_head in rows:
    hits = [(f, l) for f in report["findings"] for l in f["locations"]
            if l.get("path") == path and (secret in f.get("secret", "") or f.get("secret", "") in secret)]
    rule_ok = [h for h in hits if h[0]["rule_id"] == kind or kind.split(".")[0] in h[0]["rule_id"]]
    at_commit = [h for h in (rule_ok or hits) if (h[1].get("commit") or {}).get("id") == commit]
    status = "ok" if at_commit else ("wrong commit" if hits else "MISSED")
    if not at_commit:
        found_all = False
    rules = ",".join(sorted({h[0]["rule_id"] for h in hits})) or "-"
    print(f"  {status:12} {kind:24} {path}:{line}  commit {commit[:10]}  in_head={in_head}  rule(s): {rules}")
s = report["summary"]
print(f"findings: {s['findings']}, locations: {s['locations']}, blobs scanned: {s['scanned']}, "
      f"skipped: {s.get('skipped')}, errors: {len(s.get('errors', []))}")
print("every planted credential found at its commit" if found_all else "SOME PLANTED CREDENTIALS WERE NOT FOUND AT THEIR COMMIT")
PY
