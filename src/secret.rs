//! A wrapper for secret values: redacted in `Debug` and `Display`, wiped from memory on drop.
//!
//! The only way to see the value is [`Secret::expose`], so every place a secret leaves the
//! wrapper is greppable.

use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// A secret value (a password, token or passphrase).
///
/// `Debug` and `Display` print `<redacted>`; the value is zeroized when dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T: Zeroize = String>(Zeroizing<T>);

impl<T: Zeroize> Secret<T> {
    /// Wrap a value.
    pub fn new(value: T) -> Self {
        Secret(Zeroizing::new(value))
    }

    /// The value itself. Call sites of this are the places a secret leaves the wrapper.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Mutable access, for building a secret in place without copies.
    pub fn expose_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret::new(value)
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: Zeroize> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new(String::from("hunter2"));
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&s)), "Some(<redacted>)");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn bytes_work_too() {
        let s: Secret<Vec<u8>> = Secret::new(b"k".to_vec());
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), b"k");
    }
}
