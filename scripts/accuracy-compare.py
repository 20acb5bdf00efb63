#!/usr/bin/env python3
"""Scores leakhound, kingfisher and gitleaks on the labeled corpus tests/accuracy/.

    scripts/accuracy-compare.py            (needs target/release/leakhound)

The tools extract secrets differently (kingfisher reports the key id of an AWS
pair with the secret as a dependent capture, gitleaks sometimes the whole
match), so a result counts as a labeled credential when it is at the label's
path and line and one secret contains the other. tests/accuracy.rs scores
leakhound alone, with exact secrets. Reports go to a temporary directory
(never /dev/null).
"""

import collections
import json
import os
import re
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
root = os.path.join(here, "tests", "accuracy")
corpus = os.path.join(root, "corpus")
leakhound = os.environ.get("LEAKHOUND", os.path.join(here, "target", "release", "leakhound"))


def unesc(s):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}[m.group(1)], s)


def norm(s):
    return re.sub(r"(\\[nr]|\s)", "", s)


labels = []
for line in open(os.path.join(root, "labels.tsv")).read().splitlines()[1:]:
    p, l, rule, dec, sec = line.split("\t")
    labels.append((p, int(l), rule, dec == "yes", norm(unesc(sec))))
negatives = {}
for line in open(os.path.join(root, "negatives.tsv")).read().splitlines()[1:]:
    p, l, kind, _ = line.split("\t")
    negatives[(p, int(l))] = kind

out = tempfile.mkdtemp(prefix="accuracy-compare.")
runs = {
    "leakhound": [leakhound, "scan", corpus, "--no-ignore", "--quiet", "--format", "json", "--output", f"{out}/leakhound.json"],
    "kingfisher": ["kingfisher", "scan", corpus, "--no-validate", "--no-update-check", "--format", "json", "--output", f"{out}/kingfisher.json", "-q"],
    "gitleaks": ["gitleaks", "dir", corpus, "--no-banner", "--exit-code", "0", "--report-format", "json", "--report-path", f"{out}/gitleaks.json"],
}
for tool, cmd in runs.items():
    try:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        print(f"{tool}: not installed", file=sys.stderr)


def rows(tool):
    path = f"{out}/{tool}.json"
    if not os.path.exists(path):
        return None
    res = []
    if tool == "leakhound":
        for f in json.load(open(path))["findings"]:
            for loc in f["locations"]:
                res.append((loc["path"], loc["line"], f["secret"]))
    elif tool == "kingfisher":
        for f in json.load(open(path))["findings"]:
            fi = f["finding"]
            extra = " ".join(str(v) for v in (fi.get("dependent_captures") or {}).values())
            res.append((fi["path"], fi["line"], fi["snippet"] + " " + extra))
    else:
        for f in json.load(open(path)) or []:
            res.append((f["File"], f["StartLine"], f["Secret"] or f["Match"]))
    return [(p.replace(corpus, "").lstrip("/"), l, norm(s)) for p, l, s in res]


def matches(p, l, s):
    return [i for i, lb in enumerate(labels) if lb[0] == p and lb[1] == l and len(s) >= 4 and (lb[4] in s or s in lb[4])]


plain = [i for i, lb in enumerate(labels) if not lb[3]]
decoded = [i for i, lb in enumerate(labels) if lb[3]]
email = [i for i in plain if labels[i][0].startswith("email/")]
print("| tool | recall | email recall | decoded | precision | false positives |")
print("|---|---:|---:|---:|---:|---:|")
kinds = {}
for tool in runs:
    r = rows(tool)
    if r is None:
        continue
    found, fps = set(), collections.Counter()
    for p, l, s in r:
        m = matches(p, l, s)
        if m:
            found.update(m)
        else:
            fps[negatives.get((p, l), "unlabeled line (or another span of a labeled line)")] += 1
    n_fp = sum(fps.values())
    pf = sum(i in found for i in plain)
    print(
        f"| {tool} | {pf}/{len(plain)} = {pf / len(plain):.3f} | {sum(i in found for i in email)}/{len(email)} "
        f"| {sum(i in found for i in decoded)}/{len(decoded)} | {len(r) - n_fp}/{len(r)} = {(len(r) - n_fp) / max(1, len(r)):.3f} | {n_fp} |"
    )
    kinds[tool] = fps
print()
for tool, fps in kinds.items():
    if fps:
        print(f"{tool} false positives by kind: " + ", ".join(f"{k} {n}" for k, n in fps.most_common()))
