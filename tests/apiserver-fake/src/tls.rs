//! TLS: a CA and a server certificate for `localhost` and `127.0.0.1`, made per server with
//! rcgen, served through rustls with the ring provider (the one kube links: two providers in
//! one process make rustls panic).

use std::sync::Arc;

/// A CA certificate (PEM) that signed nothing the fake serves: the "bad CA" of kubeconfigs.
pub fn unrelated_ca_pem() -> String {
    make_ca("unrelated-ca").0.pem()
}

fn make_ca(name: &str) -> (rcgen::Certificate, rcgen::Issuer<'static, rcgen::KeyPair>) {
    let key = rcgen::KeyPair::generate().expect("CA key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).expect("self-sign the CA");
    (cert, rcgen::Issuer::new(params, key))
}

/// A self-signed CA certificate for `localhost` and `127.0.0.1`, served as the server's own.
pub(crate) fn tls_config_ca_as_server() -> (Arc<rustls::ServerConfig>, String) {
    let key = rcgen::KeyPair::generate().expect("CA key");
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kube-apiserver-ca");
    let cert = params.self_signed(&key).expect("self-sign");
    (server_config(&cert, &key), cert.pem())
}

fn server_config(cert: &rcgen::Certificate, key: &rcgen::KeyPair) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server TLS config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

pub(crate) fn tls_config() -> (Arc<rustls::ServerConfig>, String) {
    let (ca, issuer) = make_ca("fake-apiserver-ca");
    let key = rcgen::KeyPair::generate().expect("server key");
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kube-apiserver");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params
        .signed_by(&key, &issuer)
        .expect("sign the server cert");
    (server_config(&cert, &key), ca.pem())
}
