#!/usr/bin/env python3
"""Fill the package manifests from a release's SHA256SUMS.

    packaging/manifests.py DIST [--version V] [--partial]

Reads DIST/SHA256SUMS (packaging/release.sh writes it) and writes into DIST, from the templates
in packaging/: the Homebrew formula (docker-credential-keyring.rb), the scoop manifest
(docker-credential-keyring.json), the AUR PKGBUILD and the krew manifest (keyring.yaml). Each
@VERSION@, @URL:TARGET@ and @SHA256:TARGET@ is replaced by the version, the release URL of
docker-credential-keyring-VERSION-TARGET.tar.gz (.zip on Windows) and its checksum. A template
naming an archive SHA256SUMS does not list is an error (a release must be complete); with
--partial (a local run that built only the host's archive) it is left unfilled and reported.
"""

import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
NAME = "docker-credential-keyring"
REPO = "https://github.com/docker-credential-keyring/docker-credential-keyring"
TEMPLATES = {
    "homebrew/docker-credential-keyring.rb": "docker-credential-keyring.rb",
    "scoop/docker-credential-keyring.json": "docker-credential-keyring.json",
    "arch/PKGBUILD": "PKGBUILD",
    "krew/keyring.yaml": "keyring.yaml",
}
PLACEHOLDER = re.compile(r"@(URL|SHA256):([A-Za-z0-9_.-]+)@")


def cargo_version():
    for line in (ROOT / "Cargo.toml").read_text().splitlines():
        m = re.fullmatch(r'version = "(.+)"', line)
        if m:
            return m.group(1)
    sys.exit("manifests.py: no version in Cargo.toml")


def archive(version, target):
    ext = ".zip" if "windows" in target else ".tar.gz"
    return f"{NAME}-{version}-{target}{ext}"


def read_sums(path):
    sums = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = re.fullmatch(r"([0-9a-f]{64}) [ *](\S+)", line)
        if not m:
            sys.exit(f"manifests.py: {path}:{n}: not a `sha256sum` line: {line[:80]!r}")
        sums[m.group(2)] = m.group(1)
    return sums


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dist", type=pathlib.Path)
    ap.add_argument("--version", default=None)
    ap.add_argument("--partial", action="store_true")
    args = ap.parse_args()
    version = args.version or cargo_version()
    sums = read_sums(args.dist / "SHA256SUMS")
    missing = set()

    def fill(m):
        kind, target = m.group(1), m.group(2)
        name = archive(version, target)
        if name not in sums:
            missing.add(name)
            return m.group(0)
        if kind == "URL":
            return f"{REPO}/releases/download/v{version}/{name}"
        return sums[name]

    outputs = {}
    for template, output in TEMPLATES.items():
        text = (ROOT / "packaging" / template).read_text()
        outputs[output] = PLACEHOLDER.sub(fill, text.replace("@VERSION@", version))
    if missing and not args.partial:
        sys.exit(
            "manifests.py: SHA256SUMS lists no "
            + ", ".join(sorted(missing))
            + ": build every archive first (or --partial)"
        )
    for output, text in outputs.items():
        (args.dist / output).write_text(text)
        print(args.dist / output)
    for name in sorted(missing):
        print(f"manifests.py: not filled (no such archive in SHA256SUMS): {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
