#!/usr/bin/env bash
# Regenerate the committed man pages (man/) and shell completions (packaging/completions/)
# from the clap definition. tests/it/assets.rs fails when they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin=target/debug/docker-credential-keyring
rm -f man/*.1
"$bin" man man
"$bin" completions bash > packaging/completions/docker-credential-keyring.bash
"$bin" completions zsh > packaging/completions/_docker-credential-keyring
"$bin" completions fish > packaging/completions/docker-credential-keyring.fish
"$bin" completions powershell > packaging/completions/_docker-credential-keyring.ps1
echo "man/ and packaging/completions/ regenerated"
