#!/usr/bin/env bash
# Checks what `packaging/release.sh --packages` made for the host (tests/run.sh --with-package
# runs both): the archive's listing, names, modes and owners, its SHA256SUMS line, that it is
# reproducible, that its binaries run; the .deb and .rpm file lists (and the .rpm installed into
# a scratch root); the manifests packaging/manifests.py fills (they parse and carry the
# archives' checksums, for the host's archive and for a complete release).
#   tests/release.sh [DIST]   # default: dist
set -euo pipefail
cd "$(dirname "$0")/.."
dist=$(cd "${1:-dist}" && pwd)
name=docker-credential-keyring
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
host=$(rustc -vV | sed -n 's/^host: //p')
base="$name-$version-$host"
archive="$dist/$base.tar.gz"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "release check FAILED: $*" >&2; }
check() { local what=$1; shift; if "$@"; then ok; else fail "$what"; fi; }

# --- the archive: exactly these entries, these modes, owned by 0:0 --------------------------
[ -f "$archive" ] || { echo "release check: no $archive: run packaging/release.sh first" >&2; exit 1; }
{
  echo "drwxr-xr-x 0/0 $base/"
  echo "-rw-r--r-- 0/0 $base/LICENSE-APACHE"
  echo "-rw-r--r-- 0/0 $base/LICENSE-MIT"
  echo "-rw-r--r-- 0/0 $base/README.md"
  echo "drwxr-xr-x 0/0 $base/completions/"
  for f in packaging/completions/*; do echo "-rw-r--r-- 0/0 $base/completions/${f##*/}"; done
  echo "-rwxr-xr-x 0/0 $base/$name"
  echo "lrwxrwxrwx 0/0 $base/kubectl-keyring -> $name"
  echo "drwxr-xr-x 0/0 $base/man/"
  for f in man/*.1; do echo "-rw-r--r-- 0/0 $base/man/${f##*/}"; done
  echo "drwxr-xr-x 0/0 $base/systemd/"
  for f in packaging/systemd/*; do echo "-rw-r--r-- 0/0 $base/systemd/${f##*/}"; done
} | LC_ALL=C sort > "$tmp/expected"
tar --numeric-owner -tvzf "$archive" \
  | awk '{ printf "%s %s", $1, $2; for (i = 6; i <= NF; i++) printf " %s", $i; print "" }' \
  | LC_ALL=C sort > "$tmp/listing"
check "archive listing (expected < > actual)" diff "$tmp/expected" "$tmp/listing"

# --- SHA256SUMS: the archive's line, and every line verifies --------------------------------
line=$(cd "$dist" && sha256sum "$base.tar.gz")
check "SHA256SUMS has the line \`$line\`" grep -qxF "$line" "$dist/SHA256SUMS"
check "sha256sum -c SHA256SUMS" bash -c "cd '$dist' && sha256sum --quiet -c SHA256SUMS"

# --- reproducible: the same commit gives the same bytes -------------------------------------
OUT="$tmp/again" packaging/release.sh >/dev/null 2>"$tmp/again.log" || { cat "$tmp/again.log" >&2; exit 1; }
check "the archive is reproducible" cmp -s "$archive" "$tmp/again/$base.tar.gz"

# --- what is inside runs, under both names --------------------------------------------------
tar -xzf "$archive" -C "$tmp"
check "version" bash -c "'$tmp/$base/$name' version | grep -q ' v$version\$'"
check "kubectl-keyring --help says kubectl keyring" \
  bash -c "'$tmp/$base/kubectl-keyring' --help | grep -q '^Usage: kubectl keyring '"

# --- .deb and .rpm: the binary, kubectl-keyring, man pages, completions, systemd user units ---
want_paths() {
  echo /usr/bin/$name
  echo /usr/bin/kubectl-keyring
  for f in man/*.1; do echo "/usr/share/man/man1/${f##*/}"; done
  echo /usr/share/bash-completion/completions/$name
  echo /usr/share/fish/vendor_completions.d/$name.fish
  for f in packaging/systemd/*; do echo "/usr/lib/systemd/user/${f##*/}"; done
}
deb=$(ls "$dist"/${name}_"$version"-*_*.deb)
# (cargo-deb compresses the man pages, as Debian policy asks.)
dpkg-deb -c "$deb" | awk '{ p = substr($6, 2); sub(/\.1\.gz$/, ".1", p); print p }' > "$tmp/deb"
while read -r p; do check ".deb holds $p" grep -qxF "$p" "$tmp/deb"; done < <(want_paths; echo /usr/share/zsh/vendor-completions/_$name)
check ".deb: kubectl-keyring is a link to the binary" \
  bash -c "dpkg-deb -c '$deb' | grep -q '^l.* ./usr/bin/kubectl-keyring -> $name\$'"

rpm=$(ls "$dist"/"$name"-"$version"-*.rpm)
rpm -qlp "$rpm" > "$tmp/rpm"
while read -r p; do check ".rpm holds $p" grep -qxF "$p" "$tmp/rpm"; done < <(want_paths; echo /usr/share/zsh/site-functions/_$name)
for l in LICENSE-MIT LICENSE-APACHE; do check ".rpm holds $l" grep -qxF "/usr/share/licenses/$name/$l" "$tmp/rpm"; done
check ".rpm: kubectl-keyring is executable" \
  bash -c "rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' '$rpm' | grep -qx -- '-rwxr-xr-x /usr/bin/kubectl-keyring'"
# Installed (into a scratch root: this machine's packages are Debian's), then run from there.
rpm --root "$tmp/root" --initdb
# (Debian's rpm says it should not install packages; here it installs into a scratch root.)
check ".rpm installs" bash -c "rpm --root '$tmp/root' -i --nodeps --noscripts '$rpm' 2>&1 \
  | { grep -v -e 'use Alien instead' -e 'you know what you are doing' >&2 || true; }; exit \${PIPESTATUS[0]}"
check "the installed binary runs" bash -c "'$tmp/root/usr/bin/$name' version | grep -q ' v$version\$'"
check "rpm -V: the installed files are the packaged ones" rpm --root "$tmp/root" -V --nodeps "$name"

# --- the manifests, filled from SHA256SUMS --------------------------------------------------
manifests_check() { # DIR TARGETS...: each manifest parses and carries each target's checksum
  local dir=$1; shift
  check "ruby -c formula" bash -c "ruby -c '$dir/$name.rb' >/dev/null"
  check "bash -n PKGBUILD" bash -n "$dir/PKGBUILD"
  python3 - "$dir" "$version" "$@" <<'PY' && ok || fail "manifests carry the checksums (above)"
import json, pathlib, re, subprocess, sys, yaml
d, version, targets = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
name = "docker-credential-keyring"
sums = {f: h for h, f in (l.split() for l in (d / "SHA256SUMS").read_text().splitlines())}
def archive(t): return f"{name}-{version}-{t}" + (".zip" if "windows" in t else ".tar.gz")
def url(t): return f"https://github.com/{name}/{name}/releases/download/v{version}/{archive(t)}"
errors = []
def expect(cond, what):
    if not cond: errors.append(what)
krew = yaml.safe_load((d / "keyring.yaml").read_text())
expect(krew["spec"]["version"] == f"v{version}", "krew version")
platforms = {p["uri"]: p for p in krew["spec"]["platforms"]}
scoop = json.loads((d / f"{name}.json").read_text())
expect(scoop["version"] == version, "scoop version")
brew = (d / f"{name}.rb").read_text()
expect(f'version "{version}"' in brew, "brew version")
pkg = subprocess.run(["bash", "-c", f"source '{d}/PKGBUILD'; echo $pkgver; "
                      "echo ${source_x86_64[0]} ${sha256sums_x86_64[0]}; "
                      "echo ${source_aarch64[0]} ${sha256sums_aarch64[0]}"],
                     capture_output=True, text=True, check=True).stdout.split("\n")
expect(pkg[0] == version, "PKGBUILD pkgver")
for t in targets:
    h = sums[archive(t)]
    if "musl" in t or "apple" in t or "windows" in t:
        p = platforms.get(url(t))
        expect(p is not None and p["sha256"] == h, f"krew {t}")
        expect(p is not None and p["files"][0]["from"].startswith(f"{name}-{version}-{t}/"), f"krew files {t}")
    if "gnu" in t or "apple" in t:
        expect(f'url "{url(t)}"\n      sha256 "{h}"' in brew, f"brew {t}")
    if "gnu" in t:
        expect(f"{url(t)} {h}" in pkg, f"PKGBUILD {t}")
    if "windows" in t:
        a = scoop["architecture"]["64bit"]
        expect(a["url"] == url(t) and a["hash"] == h, "scoop")
for e in errors:
    print(f"release check: manifest: {e}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}
# The host's archive alone (a local run): filled where it belongs, the rest reported.
mkdir "$tmp/host" && cp "$dist/SHA256SUMS" "$tmp/host/"
check "manifests.py --partial" bash -c "packaging/manifests.py '$tmp/host' --partial >/dev/null 2>&1"
manifests_check "$tmp/host" "$host"
# Without --partial an incomplete release is refused.
check "manifests.py refuses an incomplete SHA256SUMS" \
  bash -c "out=\$(packaging/manifests.py '$tmp/host' 2>&1); [ \$? -ne 0 ] && grep -q 'SHA256SUMS lists no' <<<\"\$out\""
# A complete release (every target the release workflow builds; distinct checksums).
targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl
  aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc)
mkdir "$tmp/all"
for t in "${targets[@]}"; do
  ext=.tar.gz; [[ $t == *windows* ]] && ext=.zip
  f="$name-$version-$t$ext"
  echo "$(printf %s "$f" | sha256sum | cut -d' ' -f1)  $f"
done > "$tmp/all/SHA256SUMS"
check "manifests.py for a complete release" bash -c "packaging/manifests.py '$tmp/all' >/dev/null"
check "no placeholder left" bash -c "! grep -l '@[A-Z0-9]*[:@]' '$tmp/all/$name.rb' '$tmp/all/$name.json' '$tmp/all/PKGBUILD' '$tmp/all/keyring.yaml'"
manifests_check "$tmp/all" "${targets[@]}"

echo "release check: $passed passed, $failed failed"
((failed == 0))
