#!/usr/bin/env bash
# Build the release archive for one target, as the release workflow does for each platform:
#   packaging/release.sh                        # the host's target
#   packaging/release.sh x86_64-unknown-linux-musl
#   OUT=dist packaging/release.sh TARGET        # where the results go (default: dist)
# Writes OUT/docker-credential-keyring-VERSION-TARGET.tar.gz (.zip for Windows) holding the
# binary under its final name, kubectl-keyring (a link; a copy on Windows), the man pages, the
# completions, the sync units (systemd on Linux, launchd on macOS), README and both licences;
# then OUT/SHA256SUMS over every archive and package in OUT. On Linux with --packages it also
# builds the .deb (cargo-deb) and the .rpm (cargo-generate-rpm) from the same binary.
# Archives are reproducible: sorted, owned by 0:0, dated from the last commit.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=0
[ "${1:-}" = "--packages" ] && { packages=1; shift; }
host=$(rustc -vV | sed -n 's/^host: //p')
target=${1:-$host}
out=${OUT:-dist}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
name=docker-credential-keyring
base="$name-$version-$target"

# The host target builds into target/release, shared with `cargo deb` and `cargo generate-rpm`.
if [ "$target" = "$host" ]; then
  cargo build --release --locked
  bindir=target/release
else
  cargo build --release --locked --target "$target"
  bindir="target/$target/release"
fi

case "$target" in
  *windows*) exe=.exe ;;
  *) exe= ;;
esac
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir="$stage/$base"
mkdir -p "$dir/man" "$dir/completions"
install -m 755 "$bindir/$name$exe" "$dir/$name$exe"
if [ -n "$exe" ]; then
  # Windows has no links in a zip: kubectl finds kubectl-keyring.exe, a copy.
  install -m 755 "$bindir/$name$exe" "$dir/kubectl-keyring$exe"
else
  ln -s "$name" "$dir/kubectl-keyring"
fi
install -m 644 man/*.1 "$dir/man/"
install -m 644 packaging/completions/* "$dir/completions/"
case "$target" in
  *linux*) mkdir "$dir/systemd" && install -m 644 packaging/systemd/* "$dir/systemd/" ;;
  *apple*) mkdir "$dir/launchd" && install -m 644 packaging/macos/*.plist "$dir/launchd/" ;;
esac
install -m 644 README.md LICENSE-MIT LICENSE-APACHE "$dir/"

mkdir -p "$out"
out=$(cd "$out" && pwd)
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
if [ -n "$exe" ]; then
  archive="$base.zip"
  rm -f "$out/$archive"
  if command -v 7z >/dev/null; then
    (cd "$stage" && 7z a -tzip -mx=9 "$out/$archive" "$base" >/dev/null)
  else
    (cd "$stage" && zip -qr -9 "$out/$archive" "$base")
  fi
else
  archive="$base.tar.gz"
  # GNU tar for the reproducible options (macOS: brew install gnu-tar gives gtar).
  tar=$(command -v gtar || command -v tar)
  "$tar" --version 2>/dev/null | grep -q GNU || {
    echo "release.sh: GNU tar is needed (macOS: brew install gnu-tar)" >&2
    exit 1
  }
  (cd "$stage" && "$tar" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@$epoch" --format=gnu -cf - "$base") | gzip -9n > "$out/$archive"
fi

if ((packages)); then
  case "$target" in *linux-gnu) ;; *)
    echo "release.sh: --packages builds .deb and .rpm for a linux-gnu target only" >&2; exit 1 ;;
  esac
  command -v cargo-deb >/dev/null || cargo install --locked --quiet cargo-deb
  command -v cargo-generate-rpm >/dev/null || cargo install --locked --quiet cargo-generate-rpm
  tflag=(); [ "$target" = "$host" ] || tflag=(--target "$target")
  cargo deb --locked --no-build "${tflag[@]}" --output "$out/"
  cargo generate-rpm "${tflag[@]}" --output "$out/"
fi

# SHA256SUMS: every archive and package in OUT, in the format `sha256sum -c` reads.
(
  cd "$out"
  sum=(sha256sum); command -v sha256sum >/dev/null || sum=(shasum -a 256)
  shopt -s nullglob
  files=("$name"-*.tar.gz "$name"-*.zip "$name"_*.deb "$name"-*.rpm)
  "${sum[@]}" "${files[@]}" > SHA256SUMS
)
echo "$out/$archive"
