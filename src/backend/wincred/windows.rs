//! The Credential Manager calls (Windows only): `CredWriteW`, `CredReadW`, `CredEnumerateW`,
//! `CredDeleteW` on the layout of [`super::layout`], as danieljoos/wincred (Docker's library)
//! calls them.

use super::layout::{self, Attribute, CRED_TYPE_GENERIC, Layout};
use crate::backend::{Backend, Credential, Listed};
use crate::secret::Secret;
use windows_sys::Win32::Foundation::{ERROR_NOT_FOUND, FILETIME};
use windows_sys::Win32::Security::Credentials::{
    CRED_PERSIST_LOCAL_MACHINE, CRED_TYPE_MAXIMUM, CREDENTIAL_ATTRIBUTEW, CREDENTIALW, CredDeleteW,
    CredEnumerateW, CredFree, CredGetSessionTypes, CredReadW, CredWriteW,
};

// The layout's numbers are Windows' own.
const _: () = assert!(
    layout::CRED_TYPE_GENERIC == windows_sys::Win32::Security::Credentials::CRED_TYPE_GENERIC
        && layout::CRED_PERSIST_LOCAL_MACHINE == CRED_PERSIST_LOCAL_MACHINE
        && layout::MAX_BLOB
            == windows_sys::Win32::Security::Credentials::CRED_MAX_CREDENTIAL_BLOB_SIZE as usize
);

/// Why the Windows Credential Manager backend could not do what was asked. One line, no secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Refused(#[from] layout::Refused),
    #[error(
        "Windows Credential Manager already holds a credential {target:?} that is neither Docker's nor ours: remove it (`cmdkey /delete:{target}`) or store under another server name"
    )]
    NotOurs { target: String },
    #[error(
        "this Windows logon session cannot keep credentials on this machine (Credential Manager allows persistence {max} for generic credentials; a network or service logon without a loaded profile): log on interactively, or choose the file backend"
    )]
    NoPersistence { max: u32 },
    #[error("Windows Credential Manager failed to {what}: {message} (error {code})")]
    Failed {
        what: &'static str,
        code: i32,
        message: String,
    },
}

impl crate::hint::Hint for Error {
    fn hint(&self) -> Option<String> {
        None
    }
}

fn last_error(what: &'static str) -> Error {
    let e = std::io::Error::last_os_error();
    Error::Failed {
        what,
        code: e.raw_os_error().unwrap_or(0),
        message: crate::untrusted::line(&e.to_string(), 200),
    }
}

fn last_error_is_not_found() -> bool {
    std::io::Error::last_os_error().raw_os_error() == Some(ERROR_NOT_FOUND as i32)
}

/// A NUL-terminated UTF-16 copy of `s`.
fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// The string at a NUL-terminated UTF-16 pointer (empty for null).
///
/// # Safety
/// `p` is null or points to a NUL-terminated UTF-16 string.
unsafe fn from_wide(p: *const u16) -> String {
    if p.is_null() {
        return String::new();
    }
    let mut len = 0;
    // SAFETY: the string is NUL-terminated (the caller's promise).
    while unsafe { *p.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` u16s before the NUL are readable.
    String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(p, len) })
}

/// The bytes at `p` (empty for null or 0).
///
/// # Safety
/// `p` is null or points to `len` readable bytes.
unsafe fn bytes(p: *const u8, len: u32) -> Vec<u8> {
    if p.is_null() || len == 0 {
        return Vec::new();
    }
    // SAFETY: the caller's promise.
    unsafe { std::slice::from_raw_parts(p, len as usize) }.to_vec()
}

/// A credential as read: everything but the secret, which only `read` copies.
struct Meta {
    kind: u32,
    target_name: String,
    user_name: String,
    comment: String,
    attributes: Vec<Attribute>,
}

impl Meta {
    /// # Safety
    /// `c` points to a credential returned by CredReadW or CredEnumerateW, not yet freed.
    unsafe fn of(c: &CREDENTIALW) -> Meta {
        let mut attributes = Vec::new();
        for i in 0..c.AttributeCount as usize {
            // SAFETY: `Attributes` holds `AttributeCount` entries.
            let a = unsafe { &*c.Attributes.add(i) };
            // SAFETY: Windows' own strings and buffers.
            attributes.push(unsafe { (from_wide(a.Keyword), bytes(a.Value, a.ValueSize)) });
        }
        Meta {
            kind: c.Type,
            // SAFETY: Windows' own strings.
            target_name: unsafe { from_wide(c.TargetName) },
            user_name: unsafe { from_wide(c.UserName) },
            comment: unsafe { from_wide(c.Comment) },
            attributes,
        }
    }

    fn counts(&self) -> bool {
        layout::is_docker_or_ours(self.kind, &self.comment, &self.attributes)
    }
}

/// `CredReadW` of a generic credential: its description and secret, `None` when absent.
fn read(target: &str) -> Result<Option<(Meta, Secret)>, Error> {
    let target = wide(target);
    let mut p: *mut CREDENTIALW = std::ptr::null_mut();
    // SAFETY: a NUL-terminated name and an out-pointer; freed with CredFree below.
    if unsafe { CredReadW(target.as_ptr(), CRED_TYPE_GENERIC, 0, &mut p) } == 0 {
        if last_error_is_not_found() {
            return Ok(None);
        }
        return Err(last_error("read a credential"));
    }
    // SAFETY: CredReadW succeeded: `p` is a valid credential until CredFree.
    let c = unsafe { &*p };
    // SAFETY: as above.
    let meta = unsafe { Meta::of(c) };
    // SAFETY: the blob holds `CredentialBlobSize` bytes.
    let blob = zeroize::Zeroizing::new(unsafe { bytes(c.CredentialBlob, c.CredentialBlobSize) });
    // SAFETY: allocated by CredReadW, freed once.
    unsafe { CredFree(p as *const _) };
    // Docker reads the blob as a Go string: bytes as they are; ours are always UTF-8.
    Ok(Some((
        meta,
        Secret::new(String::from_utf8_lossy(&blob).into_owned()),
    )))
}

/// `CredEnumerateW` of `filter` (every credential for `None`), without their secrets.
fn enumerate(filter: Option<&str>) -> Result<Vec<Meta>, Error> {
    let filter = filter.map(wide);
    let mut count = 0u32;
    let mut list: *mut *mut CREDENTIALW = std::ptr::null_mut();
    let filter_ptr = filter.as_ref().map_or(std::ptr::null(), |f| f.as_ptr());
    // SAFETY: a NUL-terminated filter or null, and out-pointers; freed with CredFree below.
    if unsafe { CredEnumerateW(filter_ptr, 0, &mut count, &mut list) } == 0 {
        if last_error_is_not_found() {
            return Ok(Vec::new());
        }
        return Err(last_error("list credentials"));
    }
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        // SAFETY: `list` holds `count` valid credential pointers until CredFree.
        out.push(unsafe { Meta::of(&**list.add(i)) });
    }
    // SAFETY: allocated by CredEnumerateW, freed once.
    unsafe { CredFree(list as *const _) };
    Ok(out)
}

/// `CredWriteW` of `layout` with `secret` as the blob: creates or replaces the credential.
fn write(layout: &Layout, secret: &[u8]) -> Result<(), Error> {
    let mut target = wide(&layout.target_name);
    let mut user = wide(&layout.user_name);
    let mut comment = wide(&layout.comment);
    let mut alias = wide(&layout.target_alias);
    let mut keywords: Vec<Vec<u16>> = layout.attributes.iter().map(|(k, _)| wide(k)).collect();
    let mut values: Vec<Vec<u8>> = layout.attributes.iter().map(|(_, v)| v.clone()).collect();
    let mut attributes: Vec<CREDENTIAL_ATTRIBUTEW> = keywords
        .iter_mut()
        .zip(values.iter_mut())
        .map(|(k, v)| CREDENTIAL_ATTRIBUTEW {
            Keyword: k.as_mut_ptr(),
            Flags: 0,
            ValueSize: v.len() as u32,
            Value: if v.is_empty() {
                std::ptr::null_mut()
            } else {
                v.as_mut_ptr()
            },
        })
        .collect();
    let mut blob = zeroize::Zeroizing::new(secret.to_vec());
    let credential = CREDENTIALW {
        Flags: layout.flags,
        Type: layout.kind,
        TargetName: target.as_mut_ptr(),
        Comment: comment.as_mut_ptr(),
        LastWritten: FILETIME {
            dwLowDateTime: 0,
            dwHighDateTime: 0,
        },
        CredentialBlobSize: blob.len() as u32,
        CredentialBlob: if blob.is_empty() {
            std::ptr::null_mut()
        } else {
            blob.as_mut_ptr()
        },
        Persist: layout.persist,
        AttributeCount: attributes.len() as u32,
        Attributes: if attributes.is_empty() {
            std::ptr::null_mut()
        } else {
            attributes.as_mut_ptr()
        },
        TargetAlias: alias.as_mut_ptr(),
        UserName: user.as_mut_ptr(),
    };
    // SAFETY: every pointer in `credential` points into a buffer alive until after the call.
    if unsafe { CredWriteW(&credential, 0) } == 0 {
        return Err(last_error("store a credential"));
    }
    Ok(())
}

/// `CredDeleteW` of a generic credential; `false` when it was not there.
fn delete(target: &str) -> Result<bool, Error> {
    let target = wide(target);
    // SAFETY: a NUL-terminated name.
    if unsafe { CredDeleteW(target.as_ptr(), CRED_TYPE_GENERIC, 0) } == 0 {
        if last_error_is_not_found() {
            return Ok(false);
        }
        return Err(last_error("delete a credential"));
    }
    Ok(true)
}

/// Whether Credential Manager answers and this logon session can keep a credential on this
/// machine (a network or service logon without a loaded profile cannot). Reads no credential.
pub fn probe() -> Result<String, Error> {
    let mut max = [0u32; CRED_TYPE_MAXIMUM as usize];
    // SAFETY: an array of CRED_TYPE_MAXIMUM entries.
    if unsafe { CredGetSessionTypes(CRED_TYPE_MAXIMUM, max.as_mut_ptr()) } == 0 {
        return Err(last_error("report what this session can keep"));
    }
    let generic = max[CRED_TYPE_GENERIC as usize];
    if generic < CRED_PERSIST_LOCAL_MACHINE {
        return Err(Error::NoPersistence { max: generic });
    }
    // A filter nothing matches: Credential Manager must answer, and nothing is read.
    enumerate(Some("docker-credential-keyring-probe:*"))?;
    Ok("the Windows Credential Manager answers and keeps credentials on this machine".to_owned())
}

/// The Windows Credential Manager, in the layout of Docker's `docker-credential-wincred`.
pub struct Wincred {
    /// Put before every target name: empty, or `$WINCRED_PREFIX_ENV` (the tests' namespace).
    prefix: String,
}

impl Wincred {
    pub fn open(settings: &crate::settings::Settings) -> Result<Wincred, Error> {
        Ok(Wincred {
            prefix: settings.wincred_prefix.clone().unwrap_or_default(),
        })
    }
}

impl Backend for Wincred {
    fn kind(&self) -> crate::backend::Kind {
        crate::backend::Kind::Wincred
    }

    /// Docker's credentials and ours, by target name, as Docker's `list` shows them.
    fn list(&self) -> Result<Vec<Listed>, crate::backend::Error> {
        let mut listed: Vec<Listed> = enumerate(None)?
            .into_iter()
            .filter(Meta::counts)
            .filter_map(|m| {
                Some(Listed {
                    server_url: layout::listed_name(&m.target_name, &self.prefix)?.to_owned(),
                    username: m.user_name,
                })
            })
            .collect();
        listed.sort();
        listed.dedup_by(|a, b| a.server_url == b.server_url);
        Ok(listed)
    }

    fn get(&self, server_url: &str) -> Result<Option<Credential>, crate::backend::Error> {
        match read(&format!("{}{server_url}", self.prefix))? {
            Some((meta, secret)) if meta.counts() => Ok(Some(Credential {
                server_url: server_url.to_owned(),
                username: meta.user_name,
                secret,
            })),
            _ => Ok(None),
        }
    }

    /// Names are at hand without reading a secret: the address rules run over them.
    fn find(&self, query: &str) -> Result<Option<Credential>, crate::backend::Error> {
        let names = self.list()?.into_iter().map(|l| l.server_url).collect();
        crate::backend::resolve_among(query, names, |name| self.get(name))
    }

    /// Docker's `Add`: one credential per target name, written whole (label included), so a
    /// store over Docker's credential keeps it readable by Docker. A credential of another
    /// program under the same name is left alone.
    fn store(&self, credential: &Credential) -> Result<(), crate::backend::Error> {
        let secret = credential.secret.expose().as_bytes();
        let layout = layout::docker_credential(
            &self.prefix,
            &credential.server_url,
            &credential.username,
            secret.len(),
        )
        .map_err(Error::from)?;
        // (Read whole: CredEnumerateW's filter is a pattern, CredReadW names one credential.)
        if let Some((existing, _)) = read(&layout.target_name)?
            && !existing.counts()
        {
            return Err(Error::NotOurs {
                target: crate::untrusted::line(&layout.target_name, 200),
            }
            .into());
        }
        write(&layout, secret)?;
        Ok(())
    }

    fn erase(&self, server_url: &str) -> Result<bool, crate::backend::Error> {
        let target = format!("{}{server_url}", self.prefix);
        let ours = read(&target)?.is_some_and(|(meta, _)| meta.counts());
        if !ours {
            return Ok(false);
        }
        Ok(delete(&target)?)
    }
}
