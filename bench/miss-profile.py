#!/usr/bin/env python3
"""Where a `get` miss spends its time (issue #13): CPU used per call by the helper process, by
gnome-keyring and by dbus-daemon, for ours and for Debian's docker-credential-secretservice, on
one private gnome-keyring holding N Docker items. CPU time, unlike wall time, is not skewed much
by other load on the machine.

Usage: bench/miss-profile.py [--items 1000] [--calls 200] [--binary PATH] [--query URL]
Needs: dbus, gnome-keyring, golang-docker-credential-helpers, a release build.
"""

import argparse
import importlib.util
import os
import resource
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ssbench", os.path.join(HERE, "secret-service.py"))
ss = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ss)
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--binary", default=ss.OURS)
    ap.add_argument("--query", default="https://index.docker.io/v1/")
    args = ap.parse_args()
    k = ss.Keyring()
    try:
        ss.fill(k, args.items, 0)
        for name, helper in (("ours", os.path.abspath(args.binary)), ("go", ss.THEIRS)):
            daemon0, bus0 = cpu_seconds(k.keyring.pid), cpu_seconds(k.dbus.pid)
            child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            for _ in range(args.calls):
                subprocess.run([helper, "get"], input=args.query.encode(), env=k.env,
                               capture_output=True)
            wall = (time.perf_counter() - start) / args.calls * 1000
            child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            own = ((child1.ru_utime + child1.ru_stime) - (child0.ru_utime + child0.ru_stime))
            per = lambda seconds: seconds / args.calls * 1000
            print(f"{name:>4}: miss at {args.items} items, per call: wall {wall:.2f} ms; CPU ms: "
                  f"helper {per(own):.2f}, gnome-keyring "
                  f"{per(cpu_seconds(k.keyring.pid) - daemon0):.2f}, dbus-daemon "
                  f"{per(cpu_seconds(k.dbus.pid) - bus0):.2f}")
    finally:
        k.close()


if __name__ == "__main__":
    main()
