#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Compares `mcf2b-ctl test-filter --json LOG FILTER` with `fail2ban-regex LOG FILTER` on
the sample log fail2ban ships for a stock filter.

Counted as fail2ban-regex counts (client/fail2banregex.py): a line that is empty or starts
with '#' is skipped, and so is a last line without its newline; every other line is tested, and is matched when it yields a failure
or is an <F-MLFID> session line that names no address yet (fail2ban-regex, which leaves
pending failures in, reports a failure without an id for it), unless an ignoreregex
vetoed a match on it or a rule found it nofail; with maxlines > 1, a line a later match
takes out of the buffer counts as matched as well.
mcf2b does not report fail2ban's "ignored" lines (a nofail session line is ignored there),
so the comparison is: tested lines, matched lines, and the rest (fail2ban-regex's missed
plus ignored). Both run with the same time zone and with host names kept as written.

  fail2ban_regex_agreement.py --ctl MCF2B_CTL --known KNOWN_GAPS FILTER
      one filter: exit 0 when both agree, or when they disagree exactly as the known-gaps
      file records (so that a fix and a regression both show); 1 otherwise
  fail2ban_regex_agreement.py --ctl MCF2B_CTL --all
      every filter with a sample log: one line each and the count that agree
"""
import argparse
import json
import os
import re
import subprocess
import sys

SAMPLES = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs"
FILTERS = "/etc/fail2ban/filter.d"


def stock_filters_with_samples():
    names = []
    for entry in sorted(os.listdir(FILTERS)):
        if entry.endswith(".conf") and os.path.isfile(os.path.join(SAMPLES, entry[:-5])):
            names.append(entry[:-5])
    return names


def tested_lines(path):
    # Complete lines only: a last line without its newline is read by neither tool.
    count = 0
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break
            line = raw.rstrip(b"\r\n")
            if line and not line.startswith(b"#"):
                count += 1
    return count


def run_fail2ban_regex(log, conf):
    env = dict(os.environ, TZ="UTC")
    p = subprocess.run(["fail2ban-regex", "--usedns=raw", "--print-no-missed",
                        "--print-no-ignored", log, conf],
                       capture_output=True, text=True, env=env, timeout=600)
    m = re.search(r"^Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed",
                  p.stdout, re.M)
    if not m:
        return {"error": (p.stdout + p.stderr).strip().splitlines()[-1:]}
    tested, ignored, matched, missed = map(int, m.groups())
    return {"tested": tested, "matched": matched, "rest": ignored + missed}


def run_mcf2b(ctl, log, conf):
    p = subprocess.run([ctl, "test-filter", "--json", "--all-rules", "--tz", "UTC", log, conf],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        return {"error": (p.stderr.strip() or p.stdout.strip())}
    out = json.loads(p.stdout)
    tested = tested_lines(log)
    # As fail2ban-regex counts: a line is ignored when an ignoreregex vetoed a match on it
    # or a rule found it nofail, whatever else matched it; else matched when it yields a
    # failure, or is an <F-MLFID> session line without an address yet (fail2ban-regex
    # reports a failure without an id for it). With maxlines > 1, each earlier line a
    # later match takes out of the buffer adds one matched line.
    found = {m["line"] for m in out["matches"]} | set(out.get("pending_lines", []))
    matched = len(found - set(out.get("ignored_lines", []))) + len(out.get("taken_lines", []))
    return {"tested": tested, "matched": matched, "rest": tested - matched}


def summary(ours, theirs):
    """'agree', or one line naming what differs."""
    if "error" in ours:
        return "mcf2b refuses: " + ours["error"].replace(FILTERS + "/", "").replace("\n", "\\n")
    if "error" in theirs:
        return "fail2ban-regex fails: " + " ".join(theirs["error"])
    diffs = [f"{k} {ours[k]} vs {theirs[k]}" for k in ("tested", "matched", "rest")
             if ours[k] != theirs[k]]
    return "agree" if not diffs else "differ: " + ", ".join(diffs) + " (mcf2b vs fail2ban-regex)"


def compare(ctl, name):
    log = os.path.join(SAMPLES, name)
    conf = os.path.join(FILTERS, name + ".conf")
    return summary(run_mcf2b(ctl, log, conf), run_fail2ban_regex(log, conf))


def known_gaps(path):
    gaps = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("fail2ban-regex "):
                name, _, what = line[len("fail2ban-regex "):].partition(" ")
                gaps[name] = what
    return gaps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--known")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("filter", nargs="?")
    a = ap.parse_args()
    if a.all:
        agree = 0
        names = stock_filters_with_samples()
        for name in names:
            s = compare(a.ctl, name)
            agree += s == "agree"
            print(f"{name}: {s}", flush=True)
        print(f"{agree} of {len(names)} filters agree with fail2ban-regex")
        return 0
    if not a.filter or not a.known:
        ap.error("FILTER and --known are needed")
    got = compare(a.ctl, a.filter)
    want = known_gaps(a.known).get(a.filter, "agree")
    print(f"{a.filter}: {got}")
    if got == want:
        return 0
    if want == "agree":
        print(f"FAIL: {SAMPLES}/{a.filter} with {FILTERS}/{a.filter}.conf: {got}")
    else:
        print(f"FAIL: the known gap recorded for {a.filter} changed (a fix or a regression):\n"
              f"  recorded: {want}\n  now:      {got}\n"
              f"update tests/matcher/known_gaps.txt when the change is a fix")
    return 1


if __name__ == "__main__":
    sys.exit(main())
