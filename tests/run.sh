#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the Debian/Ubuntu packages the integration
# tests drive (real gnome-keyring, dbus, pass, gpg, keyutils, Docker's Go helpers, docker CLI,
# kubectl, docker-py), then formatting, lints, and every test against the built binary.
#   ./tests/run.sh                 # all of the above
#   ./tests/run.sh --with-package  # then also build the release archive, .deb and .rpm for
#                                  # this machine and check them (tests/release.sh), build the
#                                  # crate as `cargo package` packs it, install the .deb and
#                                  # smoke-test it
set -euo pipefail
cd "$(dirname "$0")/.."
with_package=0
[ "${1:-}" = "--with-package" ] && with_package=1

# Debian packages the tests need (one per line, with why).
PACKAGES=(
  dbus                              # a private session bus per test
  gnome-keyring                     # the real Secret Service
  build-essential                   # a C compiler: libdbus is compiled into the binary
  golang-docker-credential-helpers  # docker-credential-secretservice / -pass, for interop
  libsecret-tools                   # secret-tool, to check our items as libsecret sees them
  gcr xvfb xdotool                  # a real unlock prompt (gcr-prompter) on a virtual display
  pass gnupg                        # the pass backend and its interop
  keyutils                          # keyctl, to inspect the kernel keyring
  git                               # pass's git integration, kept working by the pass backend
  python3                           # docker-py client tests
  python3-yaml                      # push -o yaml is parsed back by a YAML 1.1 reader
  python3-pip                       # to install docker-py (pip package `docker`) below
  bsdutils util-linux               # `script` (a pty for the passphrase prompt), `setsid`
  time                              # /usr/bin/time: peak memory in bench/memory.sh
  zsh fish                          # the completion scripts are checked by their own shells
  curl ca-certificates              # rustup, on a machine with no Rust yet
  mold                              # links the test binaries several times faster than ld
)
# --with-package: `rpm -qlp` and a scratch-root install check the .rpm; `ruby -c` parses the
# Homebrew formula the release fills (tests/release.sh).
((with_package)) && PACKAGES+=(rpm ruby)
# The docker CLI (tests/it/docker_cli.rs drives it against a stub daemon; no daemon runs).
command -v docker >/dev/null || PACKAGES+=(docker.io)
# kubectl (push's golden tests compare against `kubectl create secret docker-registry`): Debian's
# kubernetes-client when none is on PATH (its docker-registry secret bytes are the same).
command -v kubectl >/dev/null || PACKAGES+=(kubernetes-client)

need_install=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_install+=("$p")
done
if ((${#need_install[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_install[@]}"
fi

# docker-py, the Python client of the credential-helper protocol (tests/it/docker_py.rs, tests/it/import.rs).
if ! python3 -c 'import docker' 2>/dev/null; then
  python3 -m pip install --quiet docker 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages docker
fi

# A fresh machine has no Rust: rustup's stable toolchain with the two components the suite runs.
if ! command -v cargo >/dev/null; then
  [ -f "$HOME/.cargo/env" ] \
    || curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
      | sh -s -- -y --profile minimal --component rustfmt,clippy
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi

# Much of a clean run is linking binaries that carry kube and rustls: mold does it in
# a fraction of ld's time. Only when the caller set no flags of its own.
if command -v mold >/dev/null && [ -z "${RUSTFLAGS:-}" ] && [ "$(uname -m)" = x86_64 ]; then
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="${CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS:--C link-arg=-fuse-ld=mold}"
fi

# --workspace: the API-server fake (tests/apiserver-fake) is a crate of its own in the workspace.
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --all-targets

# A short fuzz smoke run of every target (the long runs: fuzz/run.sh with no argument).
./fuzz/run.sh "${FUZZ_SECONDS:-10}"

if ((with_package)); then
  # The release build for this machine (once; the .deb below reuses it) and its checks. Built
  # here without LTO over 16 codegen units unless the caller says otherwise: the same code in
  # well under half of fat LTO's build time; what a release ships is built by the release
  # workflow with the profile in Cargo.toml.
  export CARGO_PROFILE_RELEASE_LTO="${CARGO_PROFILE_RELEASE_LTO:-off}"
  export CARGO_PROFILE_RELEASE_CODEGEN_UNITS="${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-16}"
  dist=$(mktemp -d)
  OUT="$dist" ./packaging/release.sh --packages
  ./tests/release.sh "$dist"
  # What `cargo install docker-credential-keyring` gets: cargo package builds the packed crate
  # on its own (no test crate, no path dependency) and fails if it does not build.
  cargo package --locked --quiet --allow-dirty
  DOCKER_CONFIG=$(mktemp -d) ./packaging/install.sh --no-setup
  ./packaging/smoke-test.sh
fi
