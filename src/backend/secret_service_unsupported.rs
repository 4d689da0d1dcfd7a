//! The secret-service backend where it is not built (macOS, Windows): the stand-in
//! ([`super::unsupported`]) of the items [`super::kind`] uses.

crate::backend::unsupported::stand_in!(crate::backend::Kind::SecretService);

/// No probe answers here, so no connection is ever handed on.
#[derive(Debug)]
pub enum Probed {}

/// Never called: there is no [`Probed`] to open on.
pub(in crate::backend) fn open_probed(
    probed: Probed,
    _settings: &crate::settings::Settings,
) -> Result<Box<dyn crate::backend::Backend>, crate::backend::Error> {
    match probed {}
}

/// No call is made here, so none fails.
#[derive(Debug)]
pub enum Error {}

impl std::fmt::Display for Error {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {}
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Never: there is no error.
    pub fn is_locked(&self) -> bool {
        match *self {}
    }
}

impl crate::hint::Hint for Error {}
