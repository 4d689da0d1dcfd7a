//! The file's format: versioned JSON, names in clear, each secret sealed, the KDF parameters and
//! a key check in the file. Parsing refuses what we did not write (and a KDF that asks too much)
//! before anything is derived.

use super::Error;
use super::crypto::{
    MAX_KDF_ITERATIONS, MAX_KDF_MEMORY_KIB, MAX_KDF_PARALLELISM, decode, kdf_params,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub(super) const FORMAT: &str = "docker-credential-keyring encrypted credentials";
pub(super) const VERSION: u32 = 1;

/// The file's contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Document {
    pub(super) format: String,
    pub(super) version: u32,
    pub(super) kdf: Kdf,
    /// `CHECK_TEXT` sealed under the key: base64(nonce ‖ ciphertext).
    pub(super) check: String,
    pub(super) entries: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Kdf {
    pub(super) algorithm: String,
    pub(super) memory_kib: u32,
    pub(super) iterations: u32,
    pub(super) parallelism: u32,
    /// base64
    pub(super) salt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Entry {
    pub(super) username: String,
    /// The secret sealed under the key: base64(nonce ‖ ciphertext).
    pub(super) secret: String,
}

/// The file's bytes as a validated document (`path` names it in errors).
pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<Document, Error> {
    let corrupt = |reason: String| Error::Corrupt {
        path: path.to_owned(),
        reason,
    };
    // Look at the version before the strict parse, so a newer file says "upgrade".
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(version) = v.get("version").and_then(|v| v.as_u64())
        && version > u64::from(VERSION)
    {
        return Err(Error::NewerVersion {
            path: path.to_owned(),
            version: version.try_into().unwrap_or(u32::MAX),
        });
    }
    let doc: Document = serde_json::from_slice(bytes).map_err(|e| {
        corrupt(if e.is_eof() {
            "it is truncated".to_owned()
        } else {
            format!("not the expected JSON: {e}")
        })
    })?;
    if doc.format != FORMAT || doc.version != VERSION {
        return Err(corrupt("not a docker-credential-keyring store".to_owned()));
    }
    let kdf = &doc.kdf;
    if kdf.memory_kib > MAX_KDF_MEMORY_KIB
        || kdf.iterations > MAX_KDF_ITERATIONS
        || kdf.parallelism > MAX_KDF_PARALLELISM
    {
        return Err(Error::KdfTooCostly {
            path: path.to_owned(),
            memory_kib: kdf.memory_kib,
            iterations: kdf.iterations,
            parallelism: kdf.parallelism,
        });
    }
    if doc.kdf.algorithm != "argon2id" || kdf_params(&doc.kdf).is_err() {
        return Err(corrupt("unknown key-derivation parameters".to_owned()));
    }
    if decode(&doc.kdf.salt).is_none_or(|s| s.len() < 16)
        || decode(&doc.check).is_none_or(|c| c.len() < 24 + 16)
    {
        return Err(corrupt("bad salt or key check".to_owned()));
    }
    for (server, entry) in &doc.entries {
        if decode(&entry.secret).is_none_or(|c| c.len() < 24 + 16) {
            return Err(corrupt(format!(
                "the entry for {server} is not sealed data"
            )));
        }
    }
    Ok(doc)
}

/// The document as written to the file: pretty JSON and a final newline.
pub(super) fn to_bytes(doc: &Document) -> Vec<u8> {
    let mut json = serde_json::to_vec_pretty(doc).expect("the document serializes");
    json.push(b'\n');
    json
}
