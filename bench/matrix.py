#!/usr/bin/env python3
"""Benchmark matrix (issue #13): get hit, get miss, list and get-all (list + one get per entry)
at 10, 100 and 1000 items, ours vs Debian's docker-credential-secretservice on one private
gnome-keyring, interleaved call by call (ours, theirs, theirs, ours, ...). Prints medians and
ratios, and the issue's targets.

The misses are what docker asks on anonymous pulls: Docker Hub's key (every spelling of it is
looked up, the most candidates of any query) and a registry with a repository path.

Usage: bench/matrix.py [--reps N] [--sizes 10,100,1000] [--binary PATH] [--reference PATH]
`--reference` puts another helper binary in the Go helper's place, e.g. an older release build of
ours, to compare two versions in one interleaved run (the targets then do not apply).
Needs: dbus, gnome-keyring, golang-docker-credential-helpers (Debian packages), a release build.
"""

import argparse
import importlib.util
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ssbench", os.path.join(HERE, "secret-service.py"))
ss = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ss)

MISSES = ("https://index.docker.io/v1/", "ghcr.io/org/repo")
TARGETS = {"get hit": 0.45, "get miss": 0.5, "get-all": 0.4}


def run_ok(k, helper, action, stdin=""):
    return k.run(helper, action, stdin)


def run_miss(k, helper, query):
    import subprocess, time
    start = time.perf_counter()
    p = subprocess.run([helper, "get"], input=query.encode(), env=k.env, capture_output=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 1 or b"credentials not found" not in p.stdout:
        raise SystemExit(f"{helper} get {query}: expected not found, got {p.stdout!r} {p.stderr!r}")
    return elapsed


def get_all(k, helper):
    t, out = k.run(helper, "list")
    total = t
    for server in json.loads(out):
        dt, _ = k.run(helper, "get", server)
        total += dt
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--getall-max", type=int, default=100,
                    help="largest size at which get-all is timed (it costs n process starts)")
    ap.add_argument("--binary", default=ss.OURS)
    ap.add_argument("--reference", default=None,
                    help="the helper to compare with instead of docker-credential-secretservice")
    args = ap.parse_args()
    ours_bin = os.path.abspath(args.binary)
    theirs_bin = os.path.abspath(args.reference) if args.reference else ss.THEIRS
    helpers = (("ours", ours_bin), ("theirs", theirs_bin))
    sizes = [int(s) for s in args.sizes.split(",")]
    k = ss.Keyring()
    rows = []
    try:
        have = 0
        for n in sizes:
            have = ss.fill(k, n, have)
            times = {}
            def add(op, who, t):
                times.setdefault((op, who), []).append(t)
            for r in range(args.reps):
                order = helpers if r % 2 == 0 else helpers[::-1]
                for who, h in order:
                    server = f"https://bench{(r * 7919) % n}.example"
                    t, out = k.run(h, "get", server)
                    assert json.loads(out)["ServerURL"] == server
                    add("get hit", who, t)
                for miss in MISSES:
                    for who, h in order:
                        add(f"get miss {miss}", who, run_miss(k, h, miss))
                if n < 1000 or r < max(3, args.reps // 3):
                    for who, h in order:
                        t, out = k.run(h, "list")
                        assert len(json.loads(out)) == n
                        add("list", who, t)
                if n <= args.getall_max and r < max(3, args.reps // 3):
                    for who, h in order:
                        add("get-all", who, get_all(k, h))
            for (op, who), xs in sorted(times.items()):
                if who != "ours":
                    continue
                o = statistics.median(xs) * 1000
                t = statistics.median(times[(op, "theirs")]) * 1000
                rows.append((op, n, o, t, o / t, len(xs)))
    finally:
        k.close()
    print(f"{'op':<42} {'items':>6} {'ours ms':>9} {'theirs ms':>10} {'ratio':>7} {'calls':>6}")
    for op, n, o, t, ratio, calls in rows:
        print(f"{op:<42} {n:>6} {o:>9.2f} {t:>10.2f} {ratio:>7.3f} {calls:>6}")
    if args.reference:
        return
    for op, n, _, _, ratio, _ in rows:
        key = "get miss" if op.startswith("get miss") else op
        limit = TARGETS.get(key, 0.1 if (op == "list" and n == 1000) else None)
        if limit is not None:
            print(f"target {op} at {n}: {ratio:.3f} <= {limit}: {'met' if ratio <= limit else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
