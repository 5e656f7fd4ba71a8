//! Bearer tokens with scopes.
//!
//! Tokens live in the configuration as SHA-256 hashes, never in clear; a presented token is
//! hashed and compared with every configured hash in constant time. Each token has a name (kept
//! with what it pushed, as an audit trail) and scopes: `push` (optionally limited to department
//! code prefixes), `read`, `admin`. With no token configured a service runs open, and says so at
//! start. Health and reflection are never behind authentication: only the jixiao services are
//! wrapped, with [`Authenticator::protect`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tonic::codegen::http;
use tonic::metadata::MetadataValue;
use tonic::server::NamedService;
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Push metric points (PushMetrics, StreamMetrics).
    Push,
    /// Read anything.
    Read,
    /// Change departments and targets, run evaluations.
    Admin,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Push => "push",
            Scope::Read => "read",
            Scope::Admin => "admin",
        })
    }
}

/// A configured token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenConfig {
    /// The token's name, recorded with what it pushes.
    pub name: String,
    /// SHA-256 of the token, in hexadecimal (`jixiao token` prints both).
    pub sha256: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// With `push`: the department code prefixes it may push for (empty: any department).
    #[serde(default)]
    pub departments: Vec<String>,
}

/// The tokens of a service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Tokens; none: the service runs open.
    pub tokens: Vec<TokenConfig>,
}

/// Who made a request, as established by the [`Authenticator`]; in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's name; empty when the service runs open.
    pub name: String,
    departments: Vec<String>,
}

impl Principal {
    /// Whether this principal may push figures of `department_code`.
    pub fn may_push_for(&self, department_code: &str) -> bool {
        self.departments.is_empty()
            || self
                .departments
                .iter()
                .any(|prefix| department_code.starts_with(prefix.as_str()))
    }

    /// The department prefixes it is limited to (empty: none).
    pub fn departments(&self) -> &[String] {
        &self.departments
    }

    /// Refuses a request naming a department (in `field`) outside the departments this
    /// principal is limited to; an empty `code` (every department) is outside any limit.
    ///
    /// # Errors
    ///
    /// `PERMISSION_DENIED` naming the token, its departments and the field.
    pub fn check_department(&self, field: &str, code: &str) -> Result<(), Status> {
        if self.departments.is_empty() || (!code.is_empty() && self.may_push_for(code)) {
            return Ok(());
        }
        let named = if code.is_empty() {
            "every department".to_owned()
        } else {
            format!("{code:?}")
        };
        Err(Status::permission_denied(format!(
            "token {:?} is limited to departments starting with {}; {field} names {named}",
            self.name,
            self.departments.join(", ")
        )))
    }
}

/// Refuses a token limited to departments with a scope whose methods the services do not limit:
/// `read` lists every department (ListDepartments, ListMetricPoints, ExportInputs).
///
/// # Errors
///
/// The token, the scope and why.
pub fn check_enforceable(
    name: &str,
    scopes: &[Scope],
    departments: &[String],
) -> anyhow::Result<()> {
    if !departments.is_empty() && scopes.contains(&Scope::Read) {
        anyhow::bail!(
            "token {name:?} is limited to departments {} but has the scope read, whose lists (ListDepartments, ListMetricPoints, ExportInputs) answer for every department: give it push or admin only, and read to another token",
            departments.join(", ")
        );
    }
    Ok(())
}

/// The principal of a request, as the [`Authenticator`] established it.
///
/// # Errors
///
/// `PERMISSION_DENIED` when no authenticator ran for the request: a service served without
/// one grants nothing, rather than everything.
pub fn principal<T>(request: &Request<T>) -> Result<Principal, Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| {
            Status::permission_denied("no authenticator established who made this request; refused")
        })
}

#[derive(Debug)]
struct Token {
    name: String,
    hash: [u8; 32],
    scopes: Vec<Scope>,
    departments: Vec<String>,
}

/// Checks the bearer token of every request against the configured hashes and the scope the
/// method needs; inserts the [`Principal`].
#[derive(Clone)]
pub struct Authenticator {
    tokens: Arc<Vec<Token>>,
    scope_of: fn(&str) -> Option<Scope>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

fn parse_hash(name: &str, text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        anyhow::bail!("token {name:?}: sha256 must be 64 hexadecimal digits");
    }
    let mut hash = [0u8; 32];
    for (index, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16)
            .map_err(|_| anyhow::anyhow!("token {name:?}: sha256 must be hexadecimal"))?;
    }
    Ok(hash)
}

/// Equality of two hashes in time independent of where they differ.
fn constant_time_eq(left: &[u8; 32], right: &[u8; 32]) -> bool {
    let difference = left
        .iter()
        .zip(right)
        .fold(0u8, |difference, (a, b)| difference | (a ^ b));
    std::hint::black_box(difference) == 0
}

impl Authenticator {
    /// An authenticator for `config`; `scope_of` maps a method name to the scope it needs, and
    /// `None` for a method it does not know, which is then refused to every token (deny by
    /// default: a method added to the API without a scope is nobody's).
    pub fn new(config: &AuthConfig, scope_of: fn(&str) -> Option<Scope>) -> anyhow::Result<Self> {
        let mut tokens = Vec::new();
        for token in &config.tokens {
            if token.name.trim().is_empty() {
                anyhow::bail!("every token needs a name");
            }
            if token.name.chars().any(char::is_control) || token.name.len() > 128 {
                anyhow::bail!(
                    "token name {:?} must be at most 128 bytes without control characters",
                    token.name
                );
            }
            if token.scopes.is_empty() {
                anyhow::bail!("token {:?} has no scopes", token.name);
            }
            check_enforceable(&token.name, &token.scopes, &token.departments)?;
            tokens.push(Token {
                name: token.name.clone(),
                hash: parse_hash(&token.name, &token.sha256)?,
                scopes: token.scopes.clone(),
                departments: token.departments.clone(),
            });
        }
        Ok(Self {
            tokens: Arc::new(tokens),
            scope_of,
        })
    }

    /// Whether no token is configured: every request is let through.
    pub fn is_open(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Warns at start when the service runs open.
    pub fn warn_if_open(&self, service: &str) {
        if self.is_open() {
            tracing::warn!(
                service,
                "no tokens are configured: the service accepts every request without authentication"
            );
        } else {
            tracing::info!(
                service,
                tokens = self.tokens.len(),
                "bearer tokens required"
            );
        }
    }

    fn authenticate(&self, presented: Option<&str>, method: &str) -> Result<Principal, Status> {
        if self.is_open() {
            return Ok(Principal {
                name: String::new(),
                departments: Vec::new(),
            });
        }
        let Some(needed) = (self.scope_of)(method) else {
            return Err(Status::permission_denied(format!(
                "{method} has no scope in this service's scope table; refused to every token"
            )));
        };
        let Some(presented) = presented else {
            return Err(Status::unauthenticated(format!(
                "{method} needs a bearer token with the scope {needed} (metadata authorization: Bearer <token>)"
            )));
        };
        let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        // Compare with every token, so that the time taken does not tell which one matched.
        let mut found = None;
        for token in self.tokens.iter() {
            if constant_time_eq(&token.hash, &hash) {
                found = Some(token);
            }
        }
        let Some(token) = found else {
            return Err(Status::unauthenticated(
                "the bearer token is not known to this service",
            ));
        };
        if !token.scopes.contains(&needed) {
            return Err(Status::permission_denied(format!(
                "token {:?} lacks the scope {needed} that {method} needs",
                token.name
            )));
        }
        Ok(Principal {
            name: token.name.clone(),
            departments: token.departments.clone(),
        })
    }
}

impl Authenticator {
    /// Puts `service` behind this authenticator.
    pub fn protect<S>(&self, service: S) -> Authenticated<S> {
        Authenticated {
            inner: service,
            authenticator: self.clone(),
        }
    }
}

/// A gRPC service behind an [`Authenticator`]: a request without the right token is answered
/// with its error status and never reaches the service; others carry their [`Principal`].
#[derive(Debug, Clone)]
pub struct Authenticated<S> {
    inner: S,
    authenticator: Authenticator,
}

impl<S: NamedService> NamedService for Authenticated<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> tower_service::Service<http::Request<B>> for Authenticated<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The path is /package.Service/Method.
        let method = request
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let presented = request
            .headers()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
                    .unwrap_or(value)
                    .trim()
                    .to_owned()
            });
        match self
            .authenticator
            .authenticate(presented.as_deref(), &method)
        {
            Ok(principal) => {
                request.extensions_mut().insert(principal);
                Box::pin(self.inner.call(request))
            }
            Err(status) => {
                tracing::info!(method, code = ?status.code(), "request refused: {}", status.message());
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

/// A secret from the configuration: never printed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Adds `authorization: Bearer <token>` to every request of a client, when there is a token.
#[derive(Clone, Default)]
pub struct BearerToken(Option<MetadataValue<tonic::metadata::Ascii>>);

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "BearerToken(…)"
        } else {
            "BearerToken(none)"
        })
    }
}

impl BearerToken {
    /// A client interceptor sending `token` (none when empty).
    pub fn new(token: &str) -> anyhow::Result<Self> {
        if token.is_empty() {
            return Ok(Self(None));
        }
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| anyhow::anyhow!("the token is not valid header text"))?;
        Ok(Self(Some(value)))
    }
}

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A new random token (`jx_` and 64 hexadecimal digits) and its SHA-256 in hexadecimal.
pub fn new_token() -> anyhow::Result<(String, String)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    let token = format!("jx_{}", hex(&bytes));
    let hash = hex(&Sha256::digest(token.as_bytes()));
    Ok((token, hash))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_of(method: &str) -> Option<Scope> {
        match method {
            "Push" => Some(Scope::Push),
            "Admin" => Some(Scope::Admin),
            "Read" => Some(Scope::Read),
            _ => None,
        }
    }

    fn authenticator() -> (Authenticator, String) {
        let (token, hash) = new_token().unwrap();
        let config = AuthConfig {
            tokens: vec![TokenConfig {
                name: "budget".into(),
                sha256: hash,
                scopes: vec![Scope::Push],
                departments: vec!["BY".into()],
            }],
        };
        (Authenticator::new(&config, scope_of).unwrap(), token)
    }

    #[test]
    fn a_known_token_with_the_scope_passes_with_its_name() {
        let (authenticator, token) = authenticator();
        let principal = authenticator.authenticate(Some(&token), "Push").unwrap();
        assert_eq!(principal.name, "budget");
        assert!(principal.may_push_for("BY.A"));
        assert!(!principal.may_push_for("GZ"));
    }

    #[test]
    fn missing_unknown_and_unscoped_tokens_are_refused_with_what_was_needed() {
        let (authenticator, token) = authenticator();
        let missing = authenticator.authenticate(None, "Push").unwrap_err();
        assert_eq!(missing.code(), tonic::Code::Unauthenticated);
        assert!(
            missing.message().contains("scope push"),
            "{}",
            missing.message()
        );
        let unknown = authenticator
            .authenticate(Some("jx_guess"), "Push")
            .unwrap_err();
        assert_eq!(unknown.code(), tonic::Code::Unauthenticated);
        let unscoped = authenticator
            .authenticate(Some(&token), "Admin")
            .unwrap_err();
        assert_eq!(unscoped.code(), tonic::Code::PermissionDenied);
        assert!(
            unscoped.message().contains("lacks the scope admin"),
            "{}",
            unscoped.message()
        );
    }

    #[test]
    fn a_method_without_a_scope_is_refused_to_every_token() {
        let (token, hash) = new_token().unwrap();
        let config = AuthConfig {
            tokens: vec![TokenConfig {
                name: "root".into(),
                sha256: hash,
                scopes: vec![Scope::Push, Scope::Read, Scope::Admin],
                departments: Vec::new(),
            }],
        };
        let authenticator = Authenticator::new(&config, scope_of).unwrap();
        let refused = authenticator
            .authenticate(Some(&token), "Forgotten")
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
        assert!(
            refused.message().contains("Forgotten"),
            "{}",
            refused.message()
        );
        assert!(authenticator.authenticate(Some(&token), "Read").is_ok());
    }

    #[test]
    fn a_request_no_authenticator_saw_has_no_principal() {
        let refused = principal(&Request::new(())).unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    }

    #[test]
    fn with_no_tokens_everything_is_let_through() {
        let open = Authenticator::new(&AuthConfig::default(), scope_of).unwrap();
        assert!(open.is_open());
        assert!(open.authenticate(None, "Admin").is_ok());
    }

    #[test]
    fn malformed_hashes_are_refused_at_start() {
        let config = AuthConfig {
            tokens: vec![TokenConfig {
                name: "x".into(),
                sha256: "abc".into(),
                scopes: vec![Scope::Read],
                departments: Vec::new(),
            }],
        };
        assert!(Authenticator::new(&config, scope_of).is_err());
    }

    #[test]
    fn tokens_are_random_and_hash_to_what_is_printed() {
        let (first, hash) = new_token().unwrap();
        let (second, _) = new_token().unwrap();
        assert_ne!(first, second);
        assert_eq!(hex(&Sha256::digest(first.as_bytes())), hash);
        assert!(!format!("{:?}", Secret::from(first.clone())).contains(&first));
    }
}
