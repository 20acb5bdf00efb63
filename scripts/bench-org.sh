#!/usr/bin/env bash
# Nightly org-scan benchmark: N local repositories (bare clones of the small
# benchmark corpus) served through a fake GitHub API on 127.0.0.1, scanned by
# `leakhound github org` twice into the same cache: the first run clones and
# scans everything, the second (nothing changed) only fetches. Reports wall
# time and peak RSS of each, and the first run's peak RSS with N/5
# repositories, to show that memory does not grow with the number of
# repositories.
#
# usage: scripts/bench-org.sh [OUT_DIR] [N]
#   OUT_DIR defaults to /tmp/leakhound-org-bench; N to 50. The corpus is built
#   once with ../shared/bench/make-corpus.sh (needs npm; tarballs cached).
# Env: LEAKHOUND (binary; default target/release/leakhound, built if missing),
#   THREADS (default: all cores), SIZE (corpus size, default small).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/leakhound-org-bench}
n=${2:-50}
size=${SIZE:-small}
corpus=$out/$size
maker=${MAKE_CORPUS:-$here/../shared/bench/make-corpus.sh}
[ -x "$maker" ] || maker=/work/shared/bench/make-corpus.sh
if [ ! -d "$corpus/repo/.git" ]; then
  echo "building the $size corpus in $corpus ..." >&2
  bash "$maker" "$corpus" "$size" >&2
fi
bin=${LEAKHOUND:-$here/target/release/leakhound}
if [ ! -x "$bin" ]; then
  (cd "$here" && cargo build --release -q)
fi
threads=${THREADS:-$(nproc)}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

bare=$out/bare
mkdir -p "$bare"
for i in $(seq 1 "$n"); do
  name=$(printf 'repo-%03d' "$i")
  [ -d "$bare/$name.git" ] || git clone -q --bare --no-local "$corpus/repo" "$bare/$name.git"
done

# The fake API: /orgs/bench/repos, 30 a page, Link headers, rate-limit headers.
port_file=$out/api.port
rm -f "$port_file"
python3 - "$bare" "$n" "$port_file" <<'PY' &
import http.server, json, os, sys, urllib.parse
bare, n, port_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
repos = [{"name": f"repo-{i:03d}", "full_name": f"bench/repo-{i:03d}", "fork": False, "archived": False,
          "private": False, "visibility": "public", "default_branch": "main", "topics": [],
          "clone_url": "file://" + os.path.join(bare, f"repo-{i:03d}.git")} for i in range(1, n + 1)]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path != "/orgs/bench/repos":
            self.send_response(404); self.end_headers(); return
        page = int(urllib.parse.parse_qs(u.query).get("page", ["1"])[0])
        chunk = repos[(page - 1) * 30: page * 30]
        body = json.dumps(chunk).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("x-ratelimit-limit", "5000")
        self.send_header("x-ratelimit-remaining", str(5000 - page))
        if page * 30 < len(repos):
            self.send_header("link", f'<http://127.0.0.1:{self.server.server_port}/orgs/bench/repos?per_page=100&type=all&page={page + 1}>; rel="next"')
        self.send_header("content-length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(port_file, "w").write(str(s.server_port))
s.serve_forever()
PY
api_pid=$!
trap 'kill $api_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$port_file" ] && break; sleep 0.1; done
api=http://127.0.0.1:$(cat "$port_file")

blob_bytes=$(git -C "$corpus/repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
  awk '$1 == "blob" { s += $2 } END { print s }')
echo "corpus: $corpus/repo, unique blob bytes $(awk -v b="$blob_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }') per repository; $n repositories; $threads threads"

measure() { # key label cache-dir [extra flags...]
  local key=$1 label=$2 cache=$3; shift 3
  local tf=$out/time.$key report=$out/report.$key.json
  /usr/bin/time -v "$bin" github org bench --api-url "$api" --cache-dir "$cache" --threads "$threads" \
    --quiet --format json --output "$report" "$@" 2>"$tf" || [ $? -eq 1 ]
  local wall rss counts
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$tf")
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f MB", $2 / 1024 }' "$tf")
  counts=$(python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['totals']; print(t['repositories'], t['blobs_scanned'], t['findings'], t['new_findings'])" "$report")
  printf '%-26s wall %-9s peak RSS %-8s repos/blobs scanned/findings/new: %s\n' "$label" "$wall" "$rss" "$counts"
}

rm -rf "$out/cache-all" "$out/cache-fifth"
measure first "first run ($n repos)" "$out/cache-all"
measure second "second run, no changes" "$out/cache-all"
fifth=$(( (n + 4) / 5 ))
# The same API, only the first N/5 repositories (by name) for the memory comparison.
measure fifth "first run ($fifth repos)" "$out/cache-fifth" --name "^repo-0*($(seq -s '|' 1 "$fifth"))\$"
