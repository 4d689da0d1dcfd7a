//! The file's cryptography: Argon2id derives the key from the passphrase, XChaCha20-Poly1305
//! seals each secret (random 192-bit nonce) with its server and username as associated data.

use super::Error;
use super::format::{Document, Kdf};
use crate::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// The derived key.
pub(super) type Key = Secret<[u8; 32]>;

/// The text sealed as the file's `check`: opening it proves the key (a wrong passphrase is told
/// apart from a damaged entry).
pub(super) const CHECK_TEXT: &[u8] = b"docker-credential-keyring key check v1";
/// Argon2id parameters for new files (measurements in docs/design.md).
pub(super) const KDF_MEMORY_KIB: u32 = 64 * 1024;
pub(super) const KDF_ITERATIONS: u32 = 3;
pub(super) const KDF_PARALLELISM: u32 = 1;
/// The most a file may ask of the KDF: a file is input, and Argon2 parameters are a request for
/// memory and time (an edited one could ask for 4 TiB or a million passes). Room above today's
/// values for stronger ones later: 1 GiB and 16 passes take about 12 s here. (Lanes are
/// computed one after another: they add no work, but are bounded too.)
pub(super) const MAX_KDF_MEMORY_KIB: u32 = 1024 * 1024;
pub(super) const MAX_KDF_ITERATIONS: u32 = 16;
pub(super) const MAX_KDF_PARALLELISM: u32 = 16;

/// Fresh KDF parameters with a random salt, for a new file.
pub(super) fn new_kdf() -> Result<Kdf, Error> {
    let mut salt = [0u8; 16];
    random(&mut salt)?;
    Ok(Kdf {
        algorithm: "argon2id".to_owned(),
        memory_kib: KDF_MEMORY_KIB,
        iterations: KDF_ITERATIONS,
        parallelism: KDF_PARALLELISM,
        salt: BASE64.encode(salt),
    })
}

pub(super) fn kdf_params(kdf: &Kdf) -> Result<argon2::Params, argon2::Error> {
    argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
}

pub(super) fn derive(passphrase: &Secret, kdf: &Kdf) -> Result<Key, Error> {
    let params = kdf_params(kdf).map_err(|e| Error::Crypto(e.to_string()))?;
    let salt = Zeroizing::new(decode(&kdf.salt).unwrap_or_default());
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Secret::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.expose().as_bytes(), &salt, key.expose_mut())
        .map_err(|e| Error::Crypto(e.to_string()))?;
    Ok(key)
}

pub(super) fn check_key(doc: &Document, key: &Key) -> bool {
    open(key, &doc.check, b"check").is_some_and(|p| p.as_slice() == CHECK_TEXT)
}

/// Associated data binding a sealed secret to its server and username.
pub(super) fn aad(server: &str, username: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(server.len() + username.len() + 24);
    out.extend_from_slice(b"entry\0");
    out.extend_from_slice(&(server.len() as u64).to_be_bytes());
    out.extend_from_slice(server.as_bytes());
    out.extend_from_slice(&(username.len() as u64).to_be_bytes());
    out.extend_from_slice(username.as_bytes());
    out
}

pub(super) fn seal(key: &Key, plain: &[u8], aad: &[u8]) -> Result<String, Error> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let mut nonce = [0u8; 24];
    random(&mut nonce)?;
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
        .map_err(|_| Error::Crypto("sealing a secret failed".to_owned()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(BASE64.encode(out))
}

pub(super) fn open(key: &Key, sealed: &str, aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let bytes = decode(sealed)?;
    if bytes.len() < 24 + 16 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
}

pub(super) fn random(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|e| Error::Random(e.to_string()))
}
