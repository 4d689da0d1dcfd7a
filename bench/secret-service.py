#!/usr/bin/env python3
"""Benchmark: our helper vs Debian's docker-credential-secretservice on the same gnome-keyring.

Builds the release binary, starts a private dbus-daemon and an unlocked gnome-keyring-daemon in a
temporary directory, fills the keyring with 10, 100 and 1000 Docker items, and times get, store,
erase and list for both helpers, interleaved call by call (ours, theirs, ours, ...) so that
machine noise hits both alike. Prints per-call medians and the ratio ours/theirs.

Targets (issue #2): get <= 0.5x the reference, list of 1000 <= 0.05x.

Usage: bench/secret-service.py [--reps N] [--sizes 10,100,1000] [--no-build]
Needs: dbus, gnome-keyring, golang-docker-credential-helpers (Debian packages).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target", "release", "docker-credential-keyring")
THEIRS = shutil.which("docker-credential-secretservice") or "/usr/bin/docker-credential-secretservice"

BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_replies_per_connection">50000</limit>
</busconfig>
"""


class Keyring:
    """A private bus with an unlocked gnome-keyring, torn down on exit."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bench-secret-service-")
        run = os.path.join(self.dir, "run")
        os.makedirs(run, mode=0o700)
        conf = os.path.join(self.dir, "bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONF.format(socket=os.path.join(run, "bus")))
        self.dbus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={conf}", "--nofork", "--nopidfile", "--print-address"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.dbus.stdout.readline().strip()
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "XDG_DATA_HOME": os.path.join(home, ".local/share"),
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "XDG_RUNTIME_DIR": run,
            "DBUS_SESSION_BUS_ADDRESS": self.address,
            "DOCKER_CREDENTIAL_KEYRING_BACKEND": "secret-service",
        }
        self.keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--components=secrets", "--unlock"],
            env=self.env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.keyring.stdin.write(b"bench-password")
        self.keyring.stdin.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            out = subprocess.run(
                ["dbus-send", f"--bus={self.address}", "--print-reply",
                 "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
                 "org.freedesktop.Secret.Service.ReadAlias", "string:default"],
                capture_output=True, text=True)
            if "collection/login" in out.stdout:
                return
            time.sleep(0.05)
        raise SystemExit("gnome-keyring-daemon did not come up")

    def close(self):
        for p in (self.keyring, self.dbus):
            p.kill()
            p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, helper, action, stdin=""):
        """Run one helper call; return (seconds, stdout). Fails loudly on unexpected errors."""
        start = time.perf_counter()
        p = subprocess.run([helper, action], input=stdin.encode(), env=self.env,
                           capture_output=True)
        elapsed = time.perf_counter() - start
        if p.returncode != 0:
            raise SystemExit(f"{helper} {action} failed ({p.returncode}): {p.stdout!r} {p.stderr!r}")
        return elapsed, p.stdout


def payload(server, user, secret="s3cr3t-token"):
    return json.dumps({"ServerURL": server, "Username": user, "Secret": secret})


def fill(k, target, have):
    """Grow the keyring to `target` Docker items (through the Go helper: it is its format)."""
    for i in range(have, target):
        k.run(THEIRS, "store", payload(f"https://bench{i}.example", f"user{i}"))
    return target


def median_ms(xs):
    return statistics.median(xs) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=21, help="calls per helper per measurement")
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--binary", help="our helper (default: the release build)")
    args = ap.parse_args()
    global OURS
    if args.binary:
        OURS, args.no_build = os.path.abspath(args.binary), True
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    sizes = [int(s) for s in args.sizes.split(",")]

    k = Keyring()
    rows = []
    try:
        # Sanity: both helpers see the same keyring.
        k.run(OURS, "store", payload("https://sanity.example", "me"))
        _, out = k.run(THEIRS, "get", "https://sanity.example")
        assert json.loads(out)["Username"] == "me", out
        k.run(THEIRS, "erase", "https://sanity.example")

        have = 0
        for n in sizes:
            have = fill(k, n, have)
            times = {(op, who): [] for op in ("get", "store", "erase", "list")
                     for who in ("ours", "theirs")}
            helpers = (("ours", OURS), ("theirs", THEIRS))
            list_reps = max(5, args.reps // 3) if n >= 1000 else args.reps
            for r in range(args.reps):
                order = helpers if r % 2 == 0 else helpers[::-1]
                for who, h in order:
                    server = f"https://bench{(r * 7919) % n}.example"
                    t, out = k.run(h, "get", server)
                    assert json.loads(out)["ServerURL"] == server
                    times[("get", who)].append(t)
                for who, h in order:
                    server = f"https://new-{who}-{r}.example"
                    t, _ = k.run(h, "store", payload(server, "newuser"))
                    times[("store", who)].append(t)
                for who, h in order:
                    t, _ = k.run(h, "erase", f"https://new-{who}-{r}.example")
                    times[("erase", who)].append(t)
                if r < list_reps:
                    for who, h in order:
                        t, out = k.run(h, "list")
                        assert len(json.loads(out)) == n, (who, n, len(json.loads(out)))
                        times[("list", who)].append(t)
            for op in ("get", "store", "erase", "list"):
                ours = median_ms(times[(op, "ours")])
                theirs = median_ms(times[(op, "theirs")])
                rows.append((op, n, ours, theirs, ours / theirs, len(times[(op, "ours")])))
    finally:
        k.close()

    print(f"{'op':<6} {'items':>6} {'ours ms':>9} {'theirs ms':>10} {'ratio':>7} {'calls':>6}")
    for op, n, ours, theirs, ratio, calls in rows:
        print(f"{op:<6} {n:>6} {ours:>9.2f} {theirs:>10.2f} {ratio:>7.3f} {calls:>6}")
    targets = [("get", None, 0.5), ("list", 1000, 0.05)]
    failed = False
    for op, n_target, limit in targets:
        for o, n, _, _, ratio, _ in rows:
            if o == op and (n_target is None or n == n_target):
                ok = ratio <= limit
                failed |= not ok
                print(f"target {op}{'' if n_target is None else f' of {n}'} at {n} items: "
                      f"{ratio:.3f} <= {limit}: {'met' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
