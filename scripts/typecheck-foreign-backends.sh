#!/usr/bin/env bash
# Type-check the macOS (keychain) and Windows (wincred) backends on Linux, where neither target
# is installed: each module is compiled (`cargo clippy`, no linking) in a scratch crate against
# the real store crates, with a shim of our backend trait.
# - wincred: windows-native-keyring-store is not cfg-gated, so it type-checks as it is.
# - keychain: copies of apple-native-keyring-store, security-framework(-sys) and
#   core-foundation(-sys) get their `target_os = "macos"` cfgs turned into "linux" and their
#   framework link kinds dropped, so the same API surface type-checks here.
# Proves the code matches the crates' APIs; says nothing about behaviour on the real systems.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
echo "scratch crates in $work"

shim() { # $1 = module name, $2 = error variant
  cat <<RS
pub trait Hint { fn hint(&self) -> Option<String> { None } }
pub mod secret {
    #[derive(Clone)]
    pub struct Secret(String);
    impl Secret {
        pub fn new(s: String) -> Self { Secret(s) }
        pub fn expose(&self) -> &String { &self.0 }
    }
}
pub mod backend {
    pub mod $1;
    use crate::secret::Secret;
    pub struct Credential { pub server_url: String, pub username: String, pub secret: Secret }
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    pub struct Listed { pub server_url: String, pub username: String }
    #[derive(Debug, thiserror::Error)]
    pub enum Error { #[error(transparent)] $2(#[from] $1::Error) }
    #[derive(Clone, Copy)]
    pub enum Kind { Keychain, Wincred }
    pub trait Backend {
        fn kind(&self) -> Kind;
        fn list(&self) -> Result<Vec<Listed>, Error>;
        fn get(&self, server_url: &str) -> Result<Option<Credential>, Error>;
        fn store(&self, credential: &Credential) -> Result<(), Error>;
        fn erase(&self, server_url: &str) -> Result<bool, Error>;
    }
}
RS
}

# Versions as in Cargo.toml.
manifest() { # $1 = name, $2 = store dependency line
  cat <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2024"
[dependencies]
keyring-core = "1.1"
$2
thiserror = "2"
zeroize = "1.8"
TOML
}

mkdir -p "$work/wincred/src/backend"
manifest wincred-check 'windows-native-keyring-store = "1.1"' >"$work/wincred/Cargo.toml"
shim wincred Wincred >"$work/wincred/src/lib.rs"
cp "$repo/src/backend/wincred.rs" "$work/wincred/src/backend/"
(cd "$work/wincred" && cargo clippy -q -- -D warnings)
echo "wincred: type-checks against windows-native-keyring-store"

mkdir -p "$work/keychain/src/backend"
manifest keychain-check 'apple-native-keyring-store = { version = "1.0", features = ["keychain"] }' >"$work/keychain/Cargo.toml"
(cd "$work/keychain" && touch src/lib.rs && cargo fetch -q)
registry="$(cd "$work/keychain" && cargo metadata --format-version 1 -q |
  python3 -c 'import json,sys; m=json.load(sys.stdin); print("\n".join(p["manifest_path"] for p in m["packages"]))')"
patch="[patch.crates-io]"
for name in apple-native-keyring-store security-framework security-framework-sys core-foundation core-foundation-sys; do
  dir="$(dirname "$(grep -E "/$name-[0-9][^/]*/Cargo.toml$" <<<"$registry" | head -1)")"
  rm -rf "$work/keychain/vendor/$name" && mkdir -p "$work/keychain/vendor" && cp -r "$dir" "$work/keychain/vendor/$name"
  { grep -rlE 'target_os = "macos"|target_vendor = "apple"|kind = "framework"' "$work/keychain/vendor/$name" || true; } |
    xargs -r sed -i 's/target_os = "macos"/target_os = "linux"/g; s/target_vendor = "apple"/target_os = "linux"/g; s/, kind = "framework"//g; s/kind = "framework", //g'
  patch+=$'\n'"$name = { path = \"vendor/$name\" }"
done
echo "$patch" >>"$work/keychain/Cargo.toml"
shim keychain Keychain >"$work/keychain/src/lib.rs"
cp "$repo/src/backend/keychain.rs" "$work/keychain/src/backend/"
(cd "$work/keychain" && cargo clippy -q -p keychain-check -- -D warnings)
echo "keychain: type-checks against apple-native-keyring-store (macOS cfgs flipped)"
