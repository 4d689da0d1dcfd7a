//! The keychain calls (macOS only): `SecItemAdd`, `SecItemCopyMatching`, `SecItemUpdate`,
//! `SecItemDelete` on the dictionaries [`super::layout`] describes, in the default keychain
//! search list, as Docker's helper calls them (no keychain named, no data-protection keychain).

use super::layout::{
    self, Address, Attr, Attributes, CLASS_GENERIC_PASSWORD, CLASS_INTERNET_PASSWORD, LABEL, Value,
};
use crate::backend::{Backend, Credential, Listed};
use crate::secret::Secret;
use core_foundation::base::{CFType, CFTypeRef, OSStatus, TCFType};
use core_foundation::boolean::CFBoolean;
use core_foundation::data::CFData;
use core_foundation::dictionary::CFDictionary;
use core_foundation::number::CFNumber;
use core_foundation::string::{CFString, CFStringRef};
use security_framework_sys::base::{SecKeychainRef, errSecDuplicateItem, errSecItemNotFound};
use security_framework_sys::item::{
    kSecAttrAccount, kSecAttrAuthenticationType, kSecAttrLabel, kSecAttrPath, kSecAttrPort,
    kSecAttrProtocol, kSecAttrServer, kSecAttrService, kSecClass, kSecClassGenericPassword,
    kSecClassInternetPassword, kSecMatchLimit, kSecMatchLimitAll, kSecReturnAttributes,
    kSecReturnData, kSecReturnRef, kSecValueData, kSecValueRef,
};
use security_framework_sys::keychain::{
    SecKeychainCopyDefault, SecKeychainGetUserInteractionAllowed,
};
use security_framework_sys::keychain_item::{
    SecItemAdd, SecItemCopyMatching, SecItemDelete, SecItemUpdate,
};
use std::collections::BTreeMap;

/// `errSecInteractionNotAllowed`: the keychain is locked (or an access dialog is needed) and
/// this session cannot show a dialog.
const ERR_INTERACTION_NOT_ALLOWED: OSStatus = -25308;
/// `errSecNoDefaultKeychain`.
const ERR_NO_DEFAULT_KEYCHAIN: OSStatus = -25307;
/// `errSecAuthFailed` and `errSecUserCanceled`: the dialog was refused or dismissed.
const ERR_AUTH_FAILED: OSStatus = -25293;
const ERR_USER_CANCELED: OSStatus = -128;
/// `kSecUnlockStateStatus` in a `SecKeychainStatus`.
const UNLOCK_STATE_STATUS: u32 = 1;
/// `callerSecuritySession` and `sessionHasGraphicAccess` (AuthSession.h).
const CALLER_SECURITY_SESSION: u32 = u32::MAX;
const SESSION_HAS_GRAPHIC_ACCESS: u32 = 0x0010;

// Two calls security-framework-sys does not declare; both are in Security.framework, which it
// links.
#[link(name = "Security", kind = "framework")]
unsafe extern "C" {
    fn SecKeychainGetStatus(keychain: SecKeychainRef, status: *mut u32) -> OSStatus;
    fn SessionGetInfo(session: u32, session_id: *mut u32, attributes: *mut u32) -> OSStatus;
}

/// Why the macOS keychain backend could not do what was asked. One line, no secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "the macOS keychain needs a dialog (to unlock it, or to let this program read an item another program stored) and this session cannot show one (SSH, a service): run `security unlock-keychain ~/Library/Keychains/login.keychain-db`, or answer the dialog once in a desktop session (\"Always Allow\"), and retry"
    )]
    Locked,
    #[error(
        "the macOS keychain dialog was refused or dismissed: retry and allow docker-credential-keyring (\"Always Allow\" keeps it from asking again)"
    )]
    Refused,
    #[error(
        "no default macOS keychain: create or choose one in Keychain Access (File > New Keychain, then Make Default) and retry"
    )]
    NoKeychain,
    #[error("the macOS keychain cannot keep {server:?}: {why}")]
    BadServer {
        server: String,
        why: layout::BadServer,
    },
    #[error("the macOS keychain failed to {what}: {message} (OSStatus {status})")]
    Failed {
        what: &'static str,
        status: OSStatus,
        message: String,
    },
}

impl crate::hint::Hint for Error {
    fn hint(&self) -> Option<String> {
        None
    }
}

/// The system's words for `status` (SecCopyErrorMessageString).
fn message(status: OSStatus) -> String {
    // SAFETY: no preconditions; the returned string follows the create rule (or is null).
    let s = unsafe {
        security_framework_sys::base::SecCopyErrorMessageString(status, std::ptr::null_mut())
    };
    if s.is_null() {
        return "unknown error".to_owned();
    }
    // SAFETY: a CFString we own.
    crate::untrusted::line(
        &unsafe { CFString::wrap_under_create_rule(s) }.to_string(),
        200,
    )
}

fn failed(what: &'static str, status: OSStatus) -> Error {
    match status {
        ERR_INTERACTION_NOT_ALLOWED => Error::Locked,
        ERR_AUTH_FAILED | ERR_USER_CANCELED => Error::Refused,
        ERR_NO_DEFAULT_KEYCHAIN => Error::NoKeychain,
        _ => Error::Failed {
            what,
            status,
            message: message(status),
        },
    }
}

/// Whether the default keychain can be used: it exists, and is unlocked or can be unlocked by
/// a dialog in this session. Reads no item. `Ok` says why.
pub fn probe() -> Result<String, Error> {
    let mut keychain: SecKeychainRef = std::ptr::null_mut();
    // SAFETY: an out-pointer; the keychain returned follows the create rule.
    let status = unsafe { SecKeychainCopyDefault(&mut keychain) };
    if status != 0 {
        return Err(failed("find the default keychain", status));
    }
    // SAFETY: a retained, non-null CF object: released when `owned` drops.
    let owned = unsafe { CFType::wrap_under_create_rule(keychain as CFTypeRef) };
    let mut state = 0u32;
    // SAFETY: a valid keychain and an out-pointer.
    let status = unsafe { SecKeychainGetStatus(keychain, &mut state) };
    drop(owned);
    if status != 0 {
        return Err(failed("read the default keychain's status", status));
    }
    if state & UNLOCK_STATE_STATUS != 0 {
        return Ok("the default keychain is unlocked".to_owned());
    }
    let mut allowed: u8 = 0;
    // SAFETY: an out-pointer.
    let interaction =
        unsafe { SecKeychainGetUserInteractionAllowed(&mut allowed) } == 0 && allowed != 0;
    let (mut id, mut attributes) = (0u32, 0u32);
    // SAFETY: out-pointers; the caller's own session.
    let graphic = unsafe { SessionGetInfo(CALLER_SECURITY_SESSION, &mut id, &mut attributes) } == 0
        && attributes & SESSION_HAS_GRAPHIC_ACCESS != 0;
    if interaction && graphic {
        Ok("the default keychain is locked; macOS shows its unlock dialog at first use".to_owned())
    } else {
        Err(Error::Locked)
    }
}

/// A keychain attribute key, by the Security framework's own constant.
fn key(attr: Attr) -> CFString {
    // SAFETY: the constants are CFStrings that live for the whole process.
    let raw: CFStringRef = unsafe {
        match attr {
            Attr::Class => kSecClass,
            Attr::Label => kSecAttrLabel,
            Attr::Account => kSecAttrAccount,
            Attr::Protocol => kSecAttrProtocol,
            Attr::Server => kSecAttrServer,
            Attr::Port => kSecAttrPort,
            Attr::Path => kSecAttrPath,
            Attr::AuthenticationType => kSecAttrAuthenticationType,
            Attr::Service => kSecAttrService,
        }
    };
    // SAFETY: as above; get rule, so the constant is retained, not taken over.
    unsafe { CFString::wrap_under_get_rule(raw) }
}

fn constant(raw: CFStringRef) -> CFType {
    // SAFETY: a process-lifetime CF constant, retained by the get rule.
    unsafe { CFString::wrap_under_get_rule(raw) }.into_CFType()
}

/// A dictionary of attributes, with extra keys (by constant) appended.
fn dictionary(
    attrs: &[(Attr, Value)],
    extra: Vec<(CFStringRef, CFType)>,
) -> CFDictionary<CFString, CFType> {
    let mut pairs: Vec<(CFString, CFType)> = attrs
        .iter()
        .map(|(attr, value)| {
            let value = match (attr, value) {
                // SAFETY: process-lifetime constants.
                (Attr::Class, Value::Text(c)) if c == CLASS_INTERNET_PASSWORD => {
                    constant(unsafe { kSecClassInternetPassword })
                }
                (Attr::Class, Value::Text(c)) if c == CLASS_GENERIC_PASSWORD => {
                    constant(unsafe { kSecClassGenericPassword })
                }
                (_, Value::Text(s)) => CFString::new(s).into_CFType(),
                (_, Value::Number(n)) => CFNumber::from(*n).into_CFType(),
            };
            (key(*attr), value)
        })
        .collect();
    for (raw, value) in extra {
        // SAFETY: a process-lifetime constant, retained by the get rule.
        pairs.push((unsafe { CFString::wrap_under_get_rule(raw) }, value));
    }
    CFDictionary::from_CFType_pairs(&pairs)
}

fn yes() -> CFType {
    CFBoolean::true_value().into_CFType()
}

/// An item a search found: its attributes, and the reference to read, update or delete it by.
struct Found {
    attrs: Attributes,
    item: CFType,
}

impl Found {
    fn text(&self, attr: Attr) -> Option<&str> {
        self.attrs.iter().find_map(|(a, v)| match v {
            Value::Text(s) if *a == attr => Some(s.as_str()),
            _ => None,
        })
    }
}

/// Every item matching `query` (attributes and references only: no secret is read, so no
/// access dialog is shown).
fn search(query: &[(Attr, Value)]) -> Result<Vec<Found>, Error> {
    // SAFETY: process-lifetime constants.
    let all = unsafe { kSecMatchLimitAll };
    let dict = dictionary(
        query,
        // SAFETY: process-lifetime constants.
        unsafe {
            vec![
                (kSecMatchLimit, constant(all)),
                (kSecReturnAttributes, yes()),
                (kSecReturnRef, yes()),
            ]
        },
    );
    let mut out: CFTypeRef = std::ptr::null();
    // SAFETY: a valid dictionary and an out-pointer; the result follows the create rule.
    let status = unsafe { SecItemCopyMatching(dict.as_concrete_TypeRef(), &mut out) };
    if status == errSecItemNotFound {
        return Ok(Vec::new());
    }
    if status != 0 {
        return Err(failed("search the keychain", status));
    }
    if out.is_null() {
        return Ok(Vec::new());
    }
    // SAFETY: a CF object we own.
    let out = unsafe { CFType::wrap_under_create_rule(out) };
    let items: Vec<CFDictionary> = match out.downcast::<core_foundation::array::CFArray>() {
        Some(array) => array
            .iter()
            // SAFETY: the array's elements are CF objects it retains.
            .filter_map(|p| unsafe { CFType::wrap_under_get_rule(*p) }.downcast::<CFDictionary>())
            .collect(),
        None => out.downcast::<CFDictionary>().into_iter().collect(),
    };
    Ok(items.iter().filter_map(found).collect())
}

/// One search result dictionary as a [`Found`].
fn found(dict: &CFDictionary) -> Option<Found> {
    let value = |raw: CFStringRef| -> Option<CFType> {
        let v = dict.find(raw as *const std::ffi::c_void)?;
        // SAFETY: a CF object the dictionary retains.
        Some(unsafe { CFType::wrap_under_get_rule(*v) })
    };
    // SAFETY: process-lifetime constants.
    let item = value(unsafe { kSecValueRef })?;
    let mut attrs = Attributes::new();
    for attr in [
        Attr::Label,
        Attr::Account,
        Attr::Protocol,
        Attr::Server,
        Attr::Port,
        Attr::Path,
        Attr::AuthenticationType,
        Attr::Service,
    ] {
        let Some(v) = value(key(attr).as_concrete_TypeRef()) else {
            continue;
        };
        if let Some(s) = v.downcast::<CFString>() {
            attrs.push((attr, Value::Text(s.to_string())));
        } else if let Some(n) = v.downcast::<CFNumber>() {
            attrs.push((attr, Value::Number(n.to_i32().unwrap_or(0))));
        } else if let Some(d) = v.downcast::<CFData>() {
            attrs.push((
                attr,
                Value::Text(String::from_utf8_lossy(d.bytes()).into_owned()),
            ));
        }
    }
    Some(Found { attrs, item })
}

fn class(class: &str) -> Attributes {
    vec![(Attr::Class, Value::Text(class.to_owned()))]
}

/// The secret of a found item (this may show the keychain's access dialog).
fn read_secret(class_name: &str, found: &Found) -> Result<Option<Secret>, Error> {
    let dict = dictionary(
        &class(class_name),
        // SAFETY: process-lifetime constants.
        unsafe { vec![(kSecValueRef, found.item.clone()), (kSecReturnData, yes())] },
    );
    let mut out: CFTypeRef = std::ptr::null();
    // SAFETY: a valid dictionary and an out-pointer; the result follows the create rule.
    let status = unsafe { SecItemCopyMatching(dict.as_concrete_TypeRef(), &mut out) };
    if status == errSecItemNotFound {
        return Ok(None);
    }
    if status != 0 {
        return Err(failed("read a credential", status));
    }
    // The item is there: no data (Docker writes none for an empty secret) is an empty secret.
    if out.is_null() {
        return Ok(Some(Secret::new(String::new())));
    }
    // SAFETY: a CF object we own.
    let out = unsafe { CFType::wrap_under_create_rule(out) };
    let bytes = zeroize::Zeroizing::new(
        out.downcast::<CFData>()
            .map(|d| d.bytes().to_vec())
            .unwrap_or_default(),
    );
    // Docker reads the data as a Go string: bytes as they are; ours are always UTF-8.
    Ok(Some(Secret::new(
        String::from_utf8_lossy(&bytes).into_owned(),
    )))
}

/// Delete one found item; `false` when it was already gone.
fn delete(class_name: &str, found: &Found) -> Result<bool, Error> {
    // SAFETY: a process-lifetime constant.
    let dict = dictionary(
        &class(class_name),
        vec![(unsafe { kSecValueRef }, found.item.clone())],
    );
    // SAFETY: a valid dictionary.
    match unsafe { SecItemDelete(dict.as_concrete_TypeRef()) } {
        0 => Ok(true),
        s if s == errSecItemNotFound => Ok(false),
        s => Err(failed("delete a credential", s)),
    }
}

/// The macOS keychain, in the item format of Docker's `docker-credential-osxkeychain`.
pub struct Keychain {
    /// Put before every item's server: empty, or `$KEYCHAIN_SERVICE_ENV` (the tests' namespace).
    namespace: String,
    /// The service prefix of generic passwords written by earlier versions of ours.
    legacy_prefix: String,
}

impl Keychain {
    pub fn open(settings: &crate::settings::Settings) -> Result<Keychain, Error> {
        Ok(Keychain {
            namespace: settings.keychain_service.clone().unwrap_or_default(),
            legacy_prefix: settings
                .keychain_service
                .clone()
                .unwrap_or_else(|| super::LEGACY_SERVICE_PREFIX.to_owned()),
        })
    }

    /// Docker's items filed exactly at `address` (port and path compared too: an absent one
    /// matches only an absent one, where Docker's own query would match any).
    fn at(&self, address: &Address) -> Result<Vec<Found>, Error> {
        let mut query = address.query();
        query.push((Attr::Label, Value::Text(LABEL.to_owned())));
        Ok(search(&query)?
            .into_iter()
            .filter(|f| Address::of_item(&f.attrs) == *address)
            .collect())
    }

    /// Our generic passwords of earlier versions, with the server each was stored under.
    fn legacy(&self) -> Result<Vec<(String, Found)>, Error> {
        Ok(search(&class(CLASS_GENERIC_PASSWORD))?
            .into_iter()
            .filter_map(|f| {
                let server = f.text(Attr::Service)?.strip_prefix(&self.legacy_prefix)?;
                Some((server.to_owned(), f))
            })
            .collect())
    }

    fn legacy_at(&self, server_url: &str) -> Result<Vec<Found>, Error> {
        let service = format!("{}{server_url}", self.legacy_prefix);
        let mut query = class(CLASS_GENERIC_PASSWORD);
        query.push((Attr::Service, Value::Text(service.clone())));
        Ok(search(&query)?
            .into_iter()
            .filter(|f| f.text(Attr::Service) == Some(service.as_str()))
            .collect())
    }

    fn credential(server_url: &str, found: &Found, secret: Secret) -> Credential {
        Credential {
            server_url: server_url.to_owned(),
            username: found.text(Attr::Account).unwrap_or_default().to_owned(),
            secret,
        }
    }
}

impl Backend for Keychain {
    fn kind(&self) -> crate::backend::Kind {
        crate::backend::Kind::Keychain
    }

    /// Docker's items as its `list` shows them, then the generic passwords of earlier versions
    /// not yet migrated. Attributes only: no dialog.
    fn list(&self) -> Result<Vec<Listed>, crate::backend::Error> {
        let mut listed: BTreeMap<String, String> = BTreeMap::new();
        for (server, found) in self.legacy()? {
            listed.insert(
                server,
                found.text(Attr::Account).unwrap_or_default().to_owned(),
            );
        }
        let mut query = class(CLASS_INTERNET_PASSWORD);
        query.push((Attr::Label, Value::Text(LABEL.to_owned())));
        for found in search(&query)? {
            if let Some(name) = Address::of_item(&found.attrs).listed_name(&self.namespace) {
                listed.insert(
                    name,
                    found.text(Attr::Account).unwrap_or_default().to_owned(),
                );
            }
        }
        Ok(listed
            .into_iter()
            .map(|(server_url, username)| Listed {
                server_url,
                username,
            })
            .collect())
    }

    fn get(&self, server_url: &str) -> Result<Option<Credential>, crate::backend::Error> {
        if let Some(address) = layout::exact_address(server_url, &self.namespace) {
            let mut found = self.at(&address)?;
            // Ours and Docker's (authentication type "dflt") before any older item.
            found.sort_by_key(|f| {
                f.text(Attr::AuthenticationType) != Some(layout::AUTHENTICATION_TYPE)
            });
            for f in &found {
                if let Some(secret) = read_secret(CLASS_INTERNET_PASSWORD, f)? {
                    return Ok(Some(Self::credential(server_url, f, secret)));
                }
            }
        }
        for f in self.legacy_at(server_url)? {
            if let Some(secret) = read_secret(CLASS_GENERIC_PASSWORD, &f)? {
                return Ok(Some(Self::credential(server_url, &f, secret)));
            }
        }
        Ok(None)
    }

    /// Names are at hand without reading a secret: the address rules run over them.
    fn find(&self, query: &str) -> Result<Option<Credential>, crate::backend::Error> {
        let names = self.list()?.into_iter().map(|l| l.server_url).collect();
        crate::backend::resolve_among(query, names, |name| self.get(name))
    }

    /// Docker's `Add`: one item per address, in its format. The new item is written first and
    /// the others at the address deleted after, so there is no moment without a credential;
    /// the end state is Docker's delete-then-add. Our generic password of an earlier version
    /// for the same address goes too (migrated).
    fn store(&self, credential: &Credential) -> Result<(), crate::backend::Error> {
        let address = layout::address(&credential.server_url, &self.namespace).map_err(|why| {
            Error::BadServer {
                server: crate::untrusted::line(&credential.server_url, 200),
                why,
            }
        })?;
        let item = address.item(&credential.username);
        let secret = credential.secret.expose().as_bytes();
        let data = CFData::from_buffer(secret).into_CFType();
        // go-keychain leaves an empty secret's data out (SetData drops an empty value).
        let dict = if secret.is_empty() {
            dictionary(&item, Vec::new())
        } else {
            // SAFETY: a process-lifetime constant.
            dictionary(&item, vec![(unsafe { kSecValueData }, data.clone())])
        };
        // SAFETY: a valid dictionary; no result asked for.
        let status = unsafe { SecItemAdd(dict.as_concrete_TypeRef(), std::ptr::null_mut()) };
        let is_new = |f: &Found| {
            f.text(Attr::Account) == Some(credential.username.as_str())
                && f.text(Attr::AuthenticationType) == Some(layout::AUTHENTICATION_TYPE)
        };
        if status == errSecDuplicateItem {
            // An item with the same account is there already (perhaps without our label):
            // give it the new secret and the label.
            let mut query = address.query();
            query.push((Attr::Account, Value::Text(credential.username.clone())));
            let same: Vec<Found> = search(&query)?
                .into_iter()
                .filter(|f| Address::of_item(&f.attrs) == address && is_new(f))
                .collect();
            let Some(existing) = same.first() else {
                return Err(failed("store a credential", status).into());
            };
            let target = dictionary(
                &class(CLASS_INTERNET_PASSWORD),
                // SAFETY: a process-lifetime constant.
                vec![(unsafe { kSecValueRef }, existing.item.clone())],
            );
            let update = dictionary(
                &[(Attr::Label, Value::Text(LABEL.to_owned()))],
                // SAFETY: a process-lifetime constant.
                vec![(unsafe { kSecValueData }, data)],
            );
            // SAFETY: valid dictionaries.
            let status = unsafe {
                SecItemUpdate(target.as_concrete_TypeRef(), update.as_concrete_TypeRef())
            };
            if status != 0 {
                return Err(failed("store a credential", status).into());
            }
        } else if status != 0 {
            return Err(failed("store a credential", status).into());
        }
        for f in self.at(&address)? {
            if !is_new(&f) {
                delete(CLASS_INTERNET_PASSWORD, &f)?;
            }
        }
        for (server, f) in self.legacy()? {
            if layout::address(&server, &self.namespace).as_ref() == Ok(&address) {
                delete(CLASS_GENERIC_PASSWORD, &f)?;
            }
        }
        Ok(())
    }

    fn erase(&self, server_url: &str) -> Result<bool, crate::backend::Error> {
        let mut erased = false;
        if let Some(address) = layout::exact_address(server_url, &self.namespace) {
            for f in self.at(&address)? {
                erased |= delete(CLASS_INTERNET_PASSWORD, &f)?;
            }
        }
        for f in self.legacy_at(server_url)? {
            erased |= delete(CLASS_GENERIC_PASSWORD, &f)?;
        }
        Ok(erased)
    }
}
