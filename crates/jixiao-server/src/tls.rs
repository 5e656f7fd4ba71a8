//! TLS (rustls) for the services and their clients, from PEM files named in the configuration.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig};

/// A service's TLS: off unless both `cert_file` and `key_file` are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerTls {
    /// The service's certificate chain (PEM).
    pub cert_file: Option<PathBuf>,
    /// The service's private key (PEM).
    pub key_file: Option<PathBuf>,
    /// When set, clients must present a certificate signed by this CA (PEM).
    pub client_ca_file: Option<PathBuf>,
}

/// How a client reaches a TLS service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientTls {
    /// The CA that signed the service's certificate (PEM); unset: the system's roots are not
    /// used, so set it whenever the service uses TLS.
    pub ca_file: Option<PathBuf>,
    /// The client's certificate (PEM), for services that require one.
    pub cert_file: Option<PathBuf>,
    /// The client's private key (PEM).
    pub key_file: Option<PathBuf>,
    /// The name to check the service's certificate against (default: the endpoint's host).
    pub domain_name: Option<String>,
}

fn read(setting: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{setting} = {}: cannot read it", path.display()))
}

impl ServerTls {
    /// The rustls configuration, or `None` when TLS is off.
    pub fn load(&self, table: &str) -> anyhow::Result<Option<ServerTlsConfig>> {
        let (cert_file, key_file) = match (&self.cert_file, &self.key_file) {
            (None, None) => {
                if self.client_ca_file.is_some() {
                    anyhow::bail!(
                        "{table}.client_ca_file needs {table}.cert_file and {table}.key_file"
                    );
                }
                return Ok(None);
            }
            (Some(cert), Some(key)) => (cert, key),
            _ => anyhow::bail!("{table}.cert_file and {table}.key_file go together"),
        };
        let identity = Identity::from_pem(
            read(&format!("{table}.cert_file"), cert_file)?,
            read(&format!("{table}.key_file"), key_file)?,
        );
        let mut config = ServerTlsConfig::new().identity(identity);
        if let Some(ca) = &self.client_ca_file {
            config = config.client_ca_root(Certificate::from_pem(read(
                &format!("{table}.client_ca_file"),
                ca,
            )?));
        }
        Ok(Some(config))
    }
}

impl ClientTls {
    /// Whether any TLS setting is given.
    pub fn is_set(&self) -> bool {
        self.ca_file.is_some() || self.cert_file.is_some() || self.domain_name.is_some()
    }

    /// `endpoint` with this TLS configuration (unchanged when nothing is set).
    pub fn apply(&self, endpoint: Endpoint, table: &str) -> anyhow::Result<Endpoint> {
        if !self.is_set() {
            return Ok(endpoint);
        }
        let mut config = ClientTlsConfig::new();
        if let Some(ca) = &self.ca_file {
            config = config.ca_certificate(Certificate::from_pem(read(
                &format!("{table}.ca_file"),
                ca,
            )?));
        }
        match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => {
                config = config.identity(Identity::from_pem(
                    read(&format!("{table}.cert_file"), cert)?,
                    read(&format!("{table}.key_file"), key)?,
                ));
            }
            (None, None) => {}
            _ => anyhow::bail!("{table}.cert_file and {table}.key_file go together"),
        }
        if let Some(name) = &self.domain_name {
            config = config.domain_name(name.clone());
        }
        endpoint
            .tls_config(config)
            .with_context(|| format!("{table}: invalid TLS configuration"))
    }
}
