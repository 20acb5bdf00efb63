#!/usr/bin/env bash
# False positives and planted-credential recall of leakhound, kingfisher and
# gitleaks on the benchmark corpus built by ../shared/bench/make-corpus.sh.
#
#   scripts/fp-compare.sh [CORPUS_DIR]      (default /work/bench/medium)
#
# CORPUS_DIR holds `repo/` (a git repository of real published JavaScript with
# credentials planted in some commits) and `planted.tsv` (commit, path, line,
# kind, secret, in_head). Every finding that is not a planted credential is a
# false positive. Each tool runs twice: over all of git history and over a
# plain checkout of HEAD (git archive, no .git directory).
#
# Reports are written to a temporary directory (never to /dev/null: one of the
# tools replaces its output path with a regular file). Set KEEP=1 to keep it;
# REPORTS=DIR re-analyses a kept directory without running the tools again.
set -euo pipefail

corpus=${1:-/work/bench/medium}
repo=$corpus/repo
planted=$corpus/planted.tsv
here=$(cd "$(dirname "$0")/.." && pwd)
leakhound=${LEAKHOUND:-$here/target/release/leakhound}

[[ -d $repo/.git || -f $repo/HEAD ]] || { echo "no git repository at $repo" >&2; exit 2; }
[[ -f $planted ]] || { echo "no $planted" >&2; exit 2; }
[[ -x $leakhound ]] || { echo "build first: cargo build --release ($leakhound missing)" >&2; exit 2; }

if [[ -n ${REPORTS:-} ]]; then
  # Re-analyse the reports of an earlier run (KEEP=1) without running the tools.
  out=$REPORTS
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/fp-compare.XXXXXX")
  [[ ${KEEP:-0} == 1 ]] || trap 'rm -rf "$out"' EXIT
  mkdir -p "$out/head"
  git -C "$repo" archive HEAD | tar -x -C "$out/head"
fi

timed() { # name command...: runs, records seconds, tolerates "found secrets" exit codes
  local name=$1; shift
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || rc=$?
  t1=$(date +%s.%N)
  printf '%s\t%s\t%.1f\n' "$name" "$rc" "$(echo "$t1 - $t0" | bc)" >>"$out/times.tsv"
  echo "ran $name (exit $rc)" >&2
}

have() { command -v "$1" >/dev/null 2>&1; }

if [[ -z ${REPORTS:-} ]]; then
timed leakhound-git "$leakhound" scan --git "$repo" --format json --output "$out/leakhound-git.json" --quiet
timed leakhound-head "$leakhound" scan "$out/head" --format json --output "$out/leakhound-head.json" --quiet
if have kingfisher; then
  timed kingfisher-git kingfisher scan "$repo" --no-validate --no-update-check --format json --output "$out/kingfisher-git.json" -q
  timed kingfisher-head kingfisher scan "$out/head" --no-validate --no-update-check --format json --output "$out/kingfisher-head.json" -q
fi
if have gitleaks; then
  timed gitleaks-git gitleaks git "$repo" --no-banner --exit-code 0 --report-format json --report-path "$out/gitleaks-git.json"
  timed gitleaks-head gitleaks dir "$out/head" --no-banner --exit-code 0 --report-format json --report-path "$out/gitleaks-head.json"
fi
fi

python3 - "$out" "$planted" <<'PY'
import collections, csv, json, os, sys

out, planted_path = sys.argv[1], sys.argv[2]
planted = list(csv.DictReader(open(planted_path), delimiter="\t"))
times = {}
if os.path.exists(f"{out}/times.tsv"):
    for line in open(f"{out}/times.tsv"):
        name, rc, secs = line.rstrip("\n").split("\t")
        times[name] = secs

def load(tool, path):
    """(rule, secret, path, line) per location."""
    if not os.path.exists(path):
        return None
    rows = []
    if tool == "leakhound":
        d = json.load(open(path))
        for f in d["findings"]:
            for loc in f["locations"]:
                rows.append((f["rule_id"], f["secret"], loc.get("path", ""), loc.get("line", 0)))
    elif tool == "kingfisher":
        d = json.load(open(path))
        for f in d.get("findings", []):
            fi = f["finding"]
            # A paired credential (AWS key id + secret) carries its other half here.
            extra = " ".join(str(v) for v in (fi.get("dependent_captures") or {}).values())
            rows.append((f["rule"]["id"], (fi.get("snippet", "") + " " + extra).strip(), fi.get("path", ""), fi.get("line", 0)))
    elif tool == "gitleaks":
        d = json.load(open(path)) or []
        for f in d:
            rows.append((f["RuleID"], f.get("Secret") or f.get("Match", ""), f.get("File", ""), f.get("StartLine", 0)))
    return rows

def norm(p, root):
    p = p.replace("\\", "/")
    for prefix in (root + "/", "./"):
        if p.startswith(prefix):
            p = p[len(prefix):]
    return p

def planted_matches(row, root):
    """The planted credentials a location is (a paired finding can be two)."""
    rule, secret, path, line = row
    path = norm(path, root)
    hits = set()
    for i, p in enumerate(planted):
        if path != p["path"] and not path.endswith("/" + p["path"]):
            continue
        s = p["secret"]
        if not s:  # private keys: the whole file is the planted credential
            hits.add(i)
        elif secret and (s in secret or secret in s):
            hits.add(i)
    return hits

print("# fp-compare\n")
print(f"planted credentials: {len(planted)} ({sum(p['in_head'] == 'yes' for p in planted)} at HEAD)\n")
summary = []
for mode in ("git", "head"):
    root = f"{out}/head"
    for tool in ("leakhound", "kingfisher", "gitleaks"):
        rows = load(tool, f"{out}/{tool}-{mode}.json")
        if rows is None:
            continue
        found = set()
        fp_secrets = collections.defaultdict(set)
        fp_locs = collections.Counter()
        fp_where = collections.defaultdict(set)
        for row in rows:
            m = planted_matches(row, root)
            if not m:
                fp_secrets[row[0]].add(row[1])
                fp_locs[row[0]] += 1
                fp_where[row[0]].add(norm(row[2], root))
            else:
                found |= m
        expected = [i for i, p in enumerate(planted) if mode == "git" or p["in_head"] == "yes"]
        missed = [planted[i] for i in expected if i not in found]
        n_fp = sum(len(v) for v in fp_secrets.values())
        summary.append((mode, tool, n_fp, sum(fp_locs.values()), len([i for i in expected if i in found]), len(expected), times.get(f"{tool}-{mode}", "?")))
        print(f"## {tool} ({'all history' if mode == 'git' else 'HEAD checkout'}), {times.get(f'{tool}-{mode}', '?')} s\n")
        print(f"planted found: {len(expected) - len(missed)}/{len(expected)}")
        for p in missed:
            print(f"  missed: {p['kind']} {p['path']}:{p['line']}")
        print(f"false positives: {n_fp} distinct secrets, {sum(fp_locs.values())} locations")
        for rule in sorted(fp_secrets, key=lambda r: (-len(fp_secrets[r]), r)):
            where = sorted(fp_where[rule])
            print(f"  {len(fp_secrets[rule]):4d} {fp_locs[rule]:5d}  {rule}  ({', '.join(where[:3])}{', ...' if len(where) > 3 else ''})")
        print()

print("## summary\n")
print("| scan | tool | false positives (distinct secrets) | FP locations | planted found | seconds |")
print("|---|---|---:|---:|---:|---:|")
for mode, tool, n_fp, n_locs, f, e, t in summary:
    print(f"| {'history' if mode == 'git' else 'HEAD'} | {tool} | {n_fp} | {n_locs} | {f}/{e} | {t} |")
PY
[[ ${KEEP:-0} == 1 && -z ${REPORTS:-} ]] && echo "reports kept in $out" >&2
exit 0
