//! The per-sandbox CA: made when the proxy starts (its key never leaves the proxy's memory),
//! name-constrained to the secrets' hosts, so that even a copy of its certificate trusted
//! somewhere else vouches for nothing but those hosts. It signs one leaf certificate per host
//! the proxy intercepts, made on first use and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, NameConstraints,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// The CA and the server configurations made with it.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    cert: CertificateDer<'static>,
    /// The CA certificate, PEM: what the sandbox trusts.
    pub pem: String,
    leaves: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

impl Ca {
    /// A new CA for `hosts` (names and `*.domain` patterns).
    pub fn generate(hosts: &[String]) -> Result<Ca, String> {
        let key = KeyPair::generate().map_err(|e| format!("CA key: {e}"))?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "docksandbox per-sandbox secrets CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let mut permitted: Vec<GeneralSubtree> = hosts
            .iter()
            .map(|h| GeneralSubtree::DnsName(h.trim_start_matches("*.").to_ascii_lowercase()))
            .collect();
        permitted.dedup();
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: permitted,
            excluded_subtrees: Vec::new(),
        });
        let cert = params
            .self_signed(&key)
            .map_err(|e| format!("CA certificate: {e}"))?;
        Ok(Ca {
            pem: cert.pem(),
            cert: cert.der().clone(),
            issuer: Issuer::new(params, key),
            leaves: Mutex::new(HashMap::new()),
        })
    }

    /// The TLS server configuration presenting a certificate for `host` (HTTP/2 or HTTP/1.1, as the client
    /// chooses).
    pub fn server_config(&self, host: &str) -> Result<Arc<ServerConfig>, String> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let mut leaves = self.leaves.lock().expect("leaf cache");
        if let Some(c) = leaves.get(&host) {
            return Ok(c.clone());
        }
        let key = KeyPair::generate().map_err(|e| format!("leaf key: {e}"))?;
        let mut params = CertificateParams::new(vec![host.clone()]).map_err(|e| e.to_string())?;
        params.distinguished_name.push(DnType::CommonName, &host);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let leaf = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| format!("certificate for {host}: {e}"))?;
        let chain = vec![leaf.der().clone(), self.cert.clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .map_err(|e| format!("certificate for {host}: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let config = Arc::new(config);
        leaves.insert(host, config.clone());
        Ok(config)
    }
}
