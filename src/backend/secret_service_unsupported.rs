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
