//! The credential layout of Docker's `docker-credential-wincred` (v0.9): what a stored login
//! becomes in the Windows Credential Manager, and which credentials are Docker's. Pure
//! functions, compiled and tested on every platform; the Windows calls that write and read
//! them are in `windows.rs`.
//!
//! What Docker's helper does (its `Add`, `Get`, `List`, on danieljoos/wincred):
//! - `Add` writes a generic credential (`CRED_TYPE_GENERIC`) with TargetName = the server URL
//!   verbatim, UserName = the username, the blob = the secret's UTF-8 bytes, Persist =
//!   `CRED_PERSIST_LOCAL_MACHINE`, an empty Comment and TargetAlias, no flags, and one
//!   attribute: keyword `label`, value the bytes of `Docker Credentials`;
//! - `Get` and `List` only take credentials carrying that attribute; `List` shows each as its
//!   TargetName.

/// `CRED_TYPE_GENERIC`.
pub const CRED_TYPE_GENERIC: u32 = 1;
/// `CRED_PERSIST_LOCAL_MACHINE`: kept on this machine, across logons.
pub const CRED_PERSIST_LOCAL_MACHINE: u32 = 2;
/// Windows' `CRED_MAX_CREDENTIAL_BLOB_SIZE`.
pub const MAX_BLOB: usize = 2560;
/// The keyword of the attribute that marks Docker's credentials.
pub const LABEL_KEYWORD: &str = "label";
/// Its value (Docker's `credentials.CredsLabel`, as bytes).
pub const LABEL_VALUE: &[u8] = b"Docker Credentials";
/// The comment earlier versions of ours wrote instead of the label: still listed and read,
/// rewritten in Docker's layout by the next store.
pub const LEGACY_COMMENT: &str = "docker-credential-keyring";

/// One credential attribute: keyword and value bytes.
pub type Attribute = (String, Vec<u8>);

/// Everything of a credential but its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub kind: u32,
    pub flags: u32,
    pub target_name: String,
    pub user_name: String,
    pub comment: String,
    pub target_alias: String,
    pub persist: u32,
    pub attributes: Vec<Attribute>,
}

/// Why a credential cannot be written in Docker's layout. One line, no secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "the secret is {len} bytes, but Windows Credential Manager holds at most {MAX_BLOB}: use the file backend for long tokens (--backend file)"
    )]
    TooLong { len: usize },
    #[error("the {what} holds a NUL character, which Windows Credential Manager cannot store")]
    Nul { what: &'static str },
}

/// The credential Docker's `Add` writes for `server_url` (after `prefix`, empty outside the
/// tests) and `username`, holding a secret of `secret_len` bytes.
///
/// docker-credential-helpers wincred: `g := winc.NewGenericCredential(creds.ServerURL)`,
/// `g.UserName = creds.Username`, `g.CredentialBlob = []byte(creds.Secret)`,
/// `g.Persist = winc.PersistLocalMachine`, `g.Attributes = append(g.Attributes,
/// winc.CredentialAttribute{Keyword: "label", Value: []byte(credentials.CredsLabel)})`.
pub fn docker_credential(
    prefix: &str,
    server_url: &str,
    username: &str,
    secret_len: usize,
) -> Result<Layout, Refused> {
    if secret_len > MAX_BLOB {
        return Err(Refused::TooLong { len: secret_len });
    }
    let target_name = format!("{prefix}{server_url}");
    if target_name.contains('\0') {
        return Err(Refused::Nul { what: "server URL" });
    }
    if username.contains('\0') {
        return Err(Refused::Nul { what: "username" });
    }
    Ok(Layout {
        kind: CRED_TYPE_GENERIC,
        flags: 0,
        target_name,
        user_name: username.to_owned(),
        comment: String::new(),
        target_alias: String::new(),
        persist: CRED_PERSIST_LOCAL_MACHINE,
        attributes: vec![(LABEL_KEYWORD.to_owned(), LABEL_VALUE.to_vec())],
    })
}

/// Whether a credential is Docker's (its label) or an earlier version's of ours (its comment):
/// the only ones `list`, `get`, `store` and `erase` touch.
///
/// docker-credential-helpers wincred: `if attr.Keyword == "label" && bytes.Equal(attr.Value,
/// []byte(credentials.CredsLabel))`.
pub fn is_docker_or_ours(kind: u32, comment: &str, attributes: &[Attribute]) -> bool {
    kind == CRED_TYPE_GENERIC
        && (attributes
            .iter()
            .any(|(k, v)| k == LABEL_KEYWORD && v == LABEL_VALUE)
            || comment == LEGACY_COMMENT)
}

/// The server a target name lists as (the prefix taken off); `None` outside the prefix.
pub fn listed_name<'a>(target_name: &'a str, prefix: &str) -> Option<&'a str> {
    target_name.strip_prefix(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_docker_add_writes() {
        let layout = docker_credential("", "https://index.docker.io/v1/", "hub", 5).unwrap();
        assert_eq!(
            layout,
            Layout {
                kind: 1,
                flags: 0,
                target_name: "https://index.docker.io/v1/".to_owned(),
                user_name: "hub".to_owned(),
                comment: String::new(),
                target_alias: String::new(),
                persist: 2,
                attributes: vec![("label".to_owned(), b"Docker Credentials".to_vec())],
            }
        );
        let prefixed = docker_credential("dck-test-1:", "a.example.com:5000", "u", 0).unwrap();
        assert_eq!(prefixed.target_name, "dck-test-1:a.example.com:5000");
        assert_eq!(
            listed_name(&prefixed.target_name, "dck-test-1:"),
            Some("a.example.com:5000")
        );
        assert_eq!(listed_name(&prefixed.target_name, "dck-test-2:"), None);
    }

    #[test]
    fn the_blob_limit_is_2560_bytes() {
        assert!(docker_credential("", "r.example.com", "u", 2560).is_ok());
        let e = docker_credential("", "r.example.com", "u", 2561).unwrap_err();
        assert_eq!(e, Refused::TooLong { len: 2561 });
        assert!(e.to_string().contains("at most 2560"), "{e}");
    }

    #[test]
    fn nul_characters_are_refused() {
        assert!(docker_credential("", "r.example.com\0x", "u", 1).is_err());
        assert!(docker_credential("", "r.example.com", "u\0", 1).is_err());
    }

    #[test]
    fn only_docker_labelled_or_our_old_credentials_count() {
        let label = vec![("label".to_owned(), b"Docker Credentials".to_vec())];
        assert!(is_docker_or_ours(1, "", &label));
        assert!(is_docker_or_ours(1, "docker-credential-keyring", &[]));
        assert!(!is_docker_or_ours(1, "", &[]));
        assert!(!is_docker_or_ours(
            1,
            "",
            &[("label".to_owned(), b"Docker Credentials ".to_vec())]
        ));
        assert!(!is_docker_or_ours(
            1,
            "",
            &[("Label".to_owned(), b"Docker Credentials".to_vec())]
        ));
        assert!(!is_docker_or_ours(2, "", &label), "a domain credential");
    }
}
