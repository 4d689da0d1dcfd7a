#!/usr/bin/env bash
# Build the Debian package from this checkout, install it, and make docker use it.
#   ./packaging/install.sh            # build, install, then `docker-credential-keyring setup`
#   ./packaging/install.sh --no-setup # build and install only
# Needs a Debian or Ubuntu machine; installs the build packages with apt (sudo when not root),
# Rust through rustup when no cargo is on PATH, and cargo-deb from crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."
setup=1
[ "${1:-}" = "--no-setup" ] && setup=0

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
build_packages=(build-essential dpkg-dev ca-certificates curl)
missing=()
for p in "${build_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v cargo >/dev/null; then
  [ -f "$HOME/.cargo/env" ] || curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
command -v cargo-deb >/dev/null || cargo install --locked --quiet cargo-deb

cargo deb --locked --quiet
deb=$(ls -t target/debian/docker-credential-keyring_*.deb | head -n1)
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "./$deb"
echo "installed $(docker-credential-keyring version)"
if ((setup)); then
  docker-credential-keyring setup || {
    echo "installed, but docker was not switched over: set up a keychain as shown above, then run \`docker-credential-keyring setup\`" >&2
    exit 1
  }
fi
