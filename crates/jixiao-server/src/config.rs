//! Layered configuration: defaults, then a TOML file, then environment variables, then flags.
//!
//! Environment variables are named after the configuration's keys: with the prefix
//! `JIXIAO_INGEST_`, `JIXIAO_INGEST_LISTEN` sets `listen` and `JIXIAO_INGEST_LIMITS__MAX_POINTS`
//! sets `limits.max_points` (a double underscore goes one table deeper). A value is read as
//! TOML when it parses as a number, a boolean or an array, else as a string. The environment
//! is passed in as a map, so tests never touch the process environment.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;
use toml::{Table, Value};

/// Merges `overlay` into `base`, table by table; other values are replaced.
fn merge(base: &mut Table, overlay: Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(base_table)), Value::Table(overlay_table)) => {
                merge(base_table, overlay_table)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Reads a flag or environment value: TOML when it is a number, a boolean or an array,
/// otherwise the text itself.
fn parse_value(text: &str) -> Value {
    match format!("value = {text}").parse::<Table>() {
        Ok(mut table) => match table.remove("value") {
            Some(
                value @ (Value::Integer(_) | Value::Float(_) | Value::Boolean(_) | Value::Array(_)),
            ) => value,
            _ => Value::String(text.to_owned()),
        },
        Err(_) => Value::String(text.to_owned()),
    }
}

/// Whether `path` leads to a table of `table`.
fn names_a_table(table: &Table, path: &[String]) -> bool {
    let mut current = table;
    for (index, key) in path.iter().enumerate() {
        match current.get(key) {
            Some(Value::Table(_)) if index + 1 == path.len() => return true,
            Some(Value::Table(inner)) => current = inner,
            _ => return false,
        }
    }
    false
}

/// Sets `path` (keys separated by `.`) in `table` to `value`.
fn set_path(table: &mut Table, path: &[String], value: Value) -> anyhow::Result<()> {
    let (last, parents) = path.split_last().context("empty configuration key")?;
    let mut current = table;
    for key in parents {
        let entry = current
            .entry(key.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        current = match entry {
            Value::Table(inner) => inner,
            _ => bail!("configuration key {key:?} is not a table"),
        };
    }
    current.insert(last.clone(), value);
    Ok(())
}

/// Where a configuration comes from, from weakest to strongest.
#[derive(Debug)]
pub struct Sources<'a> {
    /// The TOML file, if any.
    pub file: Option<&'a Path>,
    /// A table inside the file to read instead of the whole file (the all-in-one file keeps
    /// each service under its own table).
    pub file_table: Option<&'a str>,
    /// The environment.
    pub env: &'a HashMap<String, String>,
    /// The prefix of this configuration's environment variables, for example `JIXIAO_INGEST_`.
    pub env_prefix: &'a str,
    /// `key=value` overrides from flags, keys with `.` for nesting.
    pub overrides: Vec<(String, String)>,
}

/// The flags every single-service binary takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// TOML configuration file (its keys at the top level, or under the service's table).
    #[arg(long, env = "JIXIAO_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Address to serve on, for example 0.0.0.0:50051.
    #[arg(long)]
    pub listen: Option<String>,
    /// Directory of the SQLite file.
    #[arg(long)]
    pub data_dir: Option<std::path::PathBuf>,
    /// Address of the Prometheus metrics endpoint, for example 127.0.0.1:9151.
    #[arg(long)]
    pub metrics_listen: Option<String>,
    /// Any other setting, as key=value (for example limits.max_points_per_request=1000).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
    /// Logs and traces.
    #[command(flatten)]
    pub telemetry: crate::telemetry::TelemetryArgs,
}

impl ServiceArgs {
    /// The configuration: defaults, then the file (the `table` section of an all-in-one file,
    /// or the whole file), then the process environment under `env_prefix`, then these flags
    /// and `more` overrides.
    pub fn load<T: Serialize + DeserializeOwned + Default + Validate>(
        &self,
        table: &str,
        env_prefix: &str,
        more: Vec<(String, String)>,
    ) -> anyhow::Result<T> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let mut overrides = parse_settings(&self.settings)?;
        if let Some(listen) = &self.listen {
            overrides.push(("listen".to_owned(), listen.clone()));
        }
        if let Some(metrics_listen) = &self.metrics_listen {
            overrides.push(("metrics_listen".to_owned(), metrics_listen.clone()));
        }
        if let Some(data_dir) = &self.data_dir {
            overrides.push(("data_dir".to_owned(), data_dir.display().to_string()));
        }
        overrides.extend(more);
        let file_table = match &self.config {
            Some(path) => detect_table(path, table)?,
            None => None,
        };
        load(&Sources {
            file: self.config.as_deref(),
            file_table,
            env: &env,
            env_prefix,
            overrides,
        })
    }
}

/// Parses `--set key=value` flags.
pub fn parse_settings(settings: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    settings
        .iter()
        .map(|setting| {
            setting
                .split_once('=')
                .map(|(key, value)| (key.trim().to_owned(), value.to_owned()))
                .ok_or_else(|| anyhow::anyhow!("--set {setting:?}: expected KEY=VALUE"))
        })
        .collect()
}

/// Returns `Some(table)` when the file at `path` has a top-level table named `table` (an
/// all-in-one file with a section per service), `None` when its keys are at the top level.
pub fn detect_table<'a>(path: &Path, table: &'a str) -> anyhow::Result<Option<&'a str>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the configuration file {}", path.display()))?;
    let file: Table = text
        .parse()
        .with_context(|| format!("parsing the configuration file {}", path.display()))?;
    Ok(matches!(file.get(table), Some(Value::Table(_))).then_some(table))
}

/// A configuration whose values are checked once all its sources are merged.
pub trait Validate {
    /// Checks every value that types alone do not bound (ranges of numbers, non-empty
    /// names); the error names the key, the value and what is allowed.
    fn validate(&self) -> anyhow::Result<()>;
}

/// Checks that the setting `key` lies in `range`; the error names the key, the value and the
/// range, for example `schedule.catch_up_days = 100000000: out of range, expected 0 to 3660`.
pub fn check_range<N>(key: &str, value: N, range: std::ops::RangeInclusive<N>) -> anyhow::Result<()>
where
    N: PartialOrd + std::fmt::Display,
{
    if range.contains(&value) {
        Ok(())
    } else {
        bail!(
            "{key} = {value}: out of range, expected {} to {}",
            range.start(),
            range.end()
        )
    }
}

/// The dotted paths of `table` that `T` has no field for, found with `serde_ignored` (the
/// configuration types accept unknown fields so that this loader can tell where each came
/// from), and the deserialized value.
fn deserialize_reporting_unknown<T: DeserializeOwned>(
    table: Table,
) -> anyhow::Result<(T, Vec<String>)> {
    let mut unknown = Vec::new();
    let value: T =
        serde_ignored::deserialize(Value::Table(table), |path| unknown.push(path.to_string()))
            .context(
                "invalid configuration (defaults, file, JIXIAO_* environment and flags merged)",
            )?;
    Ok((value, unknown))
}

/// Builds a configuration from its defaults and the sources, then checks its values.
///
/// A key of the file or of a flag that names no setting is an error naming it. An environment
/// variable under the prefix that names no setting is ignored with a warning: the environment
/// holds variables this service does not own (Kubernetes' service links such as
/// `JIXIAO_INGEST_PORT=tcp://10.96.0.10:50051`, the command-line tool's
/// `JIXIAO_EVALUATOR_URL`), and they must not stop it.
pub fn load<T: Serialize + DeserializeOwned + Default + Validate>(
    sources: &Sources<'_>,
) -> anyhow::Result<T> {
    let (config, ignored) = load_reporting_ignored(sources)?;
    if !ignored.is_empty() {
        tracing::warn!(
            variables = %ignored.join(", "),
            "ignoring environment variables under {} that name no setting",
            sources.env_prefix
        );
    }
    Ok(config)
}

/// [`load`], returning with the configuration the names of the environment variables under the
/// prefix that it ignored because they name no setting (sorted), instead of logging them.
pub fn load_reporting_ignored<T: Serialize + DeserializeOwned + Default + Validate>(
    sources: &Sources<'_>,
) -> anyhow::Result<(T, Vec<String>)> {
    let mut base = Table::try_from(T::default()).context("serializing the defaults")?;
    if let Some(path) = sources.file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the configuration file {}", path.display()))?;
        let mut file: Table = text
            .parse()
            .with_context(|| format!("parsing the configuration file {}", path.display()))?;
        let file = match sources.file_table {
            Some(name) => match file.remove(name) {
                Some(Value::Table(inner)) => inner,
                Some(_) => bail!("{}: [{name}] is not a table", path.display()),
                None => Table::new(),
            },
            None => file,
        };
        merge(&mut base, file);
    }
    let apply_overrides = |table: &mut Table| -> anyhow::Result<()> {
        for (key, value) in &sources.overrides {
            let path: Vec<String> = key.split('.').map(str::to_owned).collect();
            set_path(table, &path, parse_value(value))
                .with_context(|| format!("flag setting {key}"))?;
        }
        Ok(())
    };
    // Unknown keys of the file and the flags, without the environment: errors.
    let mut without_env = base.clone();
    apply_overrides(&mut without_env)?;
    let (_, unknown) = deserialize_reporting_unknown::<T>(without_env)?;
    if !unknown.is_empty() {
        bail!(
            "unknown setting {} (in the configuration file or a flag)",
            unknown.join(", ")
        );
    }
    let mut env: Vec<(&String, &String)> = sources
        .env
        .iter()
        .filter(|(key, _)| key.starts_with(sources.env_prefix))
        .collect();
    env.sort();
    let mut table = base;
    let mut env_paths = Vec::new();
    let mut ignored = Vec::new();
    for (key, value) in env {
        let path: Vec<String> = key[sources.env_prefix.len()..]
            .to_ascii_lowercase()
            .split("__")
            .map(str::to_owned)
            .collect();
        // A variable that would replace a whole table (JIXIAO_INGEST_LIMITS=…) or nest below
        // a plain value (JIXIAO_INGEST_LISTEN__HOST) names no setting.
        if names_a_table(&table, &path) {
            ignored.push(key.clone());
            continue;
        }
        match set_path(&mut table, &path, parse_value(value)) {
            Ok(()) => env_paths.push((key.as_str(), path.join("."))),
            Err(_) => ignored.push(key.clone()),
        }
    }
    apply_overrides(&mut table)?;
    let (config, unknown) = deserialize_reporting_unknown::<T>(table)?;
    for (key, path) in &env_paths {
        let names_no_setting = unknown.iter().any(|unknown| {
            path == unknown
                || path
                    .strip_prefix(unknown.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        });
        if names_no_setting {
            ignored.push((*key).to_owned());
        }
    }
    ignored.sort();
    config.validate()?;
    Ok((config, ignored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Example {
        listen: String,
        limits: Limits,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Limits {
        max_points: u32,
        strict: bool,
    }

    impl Default for Example {
        fn default() -> Self {
            Self {
                listen: "127.0.0.1:1".into(),
                limits: Limits::default(),
            }
        }
    }

    impl Validate for Example {
        fn validate(&self) -> anyhow::Result<()> {
            check_range("limits.max_points", self.limits.max_points, 1..=100)
        }
    }

    impl Default for Limits {
        fn default() -> Self {
            Self {
                max_points: 10,
                strict: false,
            }
        }
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_file_which_beats_the_defaults() {
        let directory = std::env::temp_dir().join(format!("jixiao-config-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let file = directory.join("config.toml");
        std::fs::write(
            &file,
            "[svc]\nlisten = \"file\"\n[svc.limits]\nmax_points = 20\n",
        )
        .unwrap();
        let env: HashMap<String, String> = [
            ("JIXIAO_SVC_LIMITS__MAX_POINTS".to_owned(), "30".to_owned()),
            ("JIXIAO_SVC_LIMITS__STRICT".to_owned(), "true".to_owned()),
            ("OTHER".to_owned(), "x".to_owned()),
        ]
        .into_iter()
        .collect();
        let sources = Sources {
            file: Some(&file),
            file_table: Some("svc"),
            env: &env,
            env_prefix: "JIXIAO_SVC_",
            overrides: vec![("listen".into(), "flag".into())],
        };
        let config: Example = load(&sources).unwrap();
        assert_eq!(config.listen, "flag");
        assert_eq!(config.limits.max_points, 30);
        assert!(config.limits.strict);
        std::fs::remove_dir_all(&directory).unwrap();
    }

    fn sources_with<'a>(
        env: &'a HashMap<String, String>,
        file: Option<&'a Path>,
        overrides: &[(&str, &str)],
    ) -> Sources<'a> {
        Sources {
            file,
            file_table: None,
            env,
            env_prefix: "JIXIAO_SVC_",
            overrides: overrides
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect(),
        }
    }

    fn env_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn environment_variables_that_name_no_setting_are_ignored() {
        // Kubernetes' service links and the command-line tool's own variables share the
        // prefix; a variable that would nest below a plain value names no setting either.
        let env = env_of(&[
            ("JIXIAO_SVC_PORT", "tcp://10.96.0.10:50051"),
            ("JIXIAO_SVC_PORT_50051_TCP_ADDR", "10.96.0.10"),
            ("JIXIAO_SVC_SERVICE_HOST", "10.96.0.10"),
            ("JIXIAO_SVC_URL", "http://localhost:50052"),
            ("JIXIAO_SVC_LISTEN__HOST", "x"),
            ("JIXIAO_SVC_LIMITS__UNKNOWN", "1"),
            ("JIXIAO_SVC_LIMITS", "x"),
            ("JIXIAO_SVC_LIMITS__MAX_POINTS", "7"),
        ]);
        let (config, ignored): (Example, _) =
            load_reporting_ignored(&sources_with(&env, None, &[])).unwrap();
        assert_eq!(
            ignored,
            [
                "JIXIAO_SVC_LIMITS",
                "JIXIAO_SVC_LIMITS__UNKNOWN",
                "JIXIAO_SVC_LISTEN__HOST",
                "JIXIAO_SVC_PORT",
                "JIXIAO_SVC_PORT_50051_TCP_ADDR",
                "JIXIAO_SVC_SERVICE_HOST",
                "JIXIAO_SVC_URL"
            ]
        );
        assert_eq!(config.limits.max_points, 7);
        assert_eq!(config.listen, "127.0.0.1:1");
    }

    #[test]
    fn a_known_environment_variable_with_a_wrong_type_is_still_an_error() {
        let env = env_of(&[("JIXIAO_SVC_LIMITS__MAX_POINTS", "many")]);
        let error = load::<Example>(&sources_with(&env, None, &[])).unwrap_err();
        assert!(format!("{error:#}").contains("max_points"), "{error:#}");
    }

    #[test]
    fn out_of_range_values_are_refused_naming_the_key_and_the_range() {
        let env = HashMap::new();
        let error =
            load::<Example>(&sources_with(&env, None, &[("limits.max_points", "0")])).unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "limits.max_points = 0: out of range, expected 1 to 100"
        );
        let env = env_of(&[("JIXIAO_SVC_LIMITS__MAX_POINTS", "100000000")]);
        let error = load::<Example>(&sources_with(&env, None, &[])).unwrap_err();
        assert!(format!("{error:#}").contains("limits.max_points = 100000000"));
    }

    #[test]
    fn unknown_keys_of_a_file_or_a_flag_are_refused_naming_them() {
        let env = HashMap::new();
        let error =
            load::<Example>(&sources_with(&env, None, &[("limits.max_pointz", "3")])).unwrap_err();
        assert!(
            format!("{error:#}").contains("limits.max_pointz"),
            "{error:#}"
        );
        let file = tempfile_with("listen = \"a\"\n[limits]\nstrikt = true\n");
        let error = load::<Example>(&sources_with(&env, Some(&file), &[])).unwrap_err();
        assert!(format!("{error:#}").contains("limits.strikt"), "{error:#}");
        std::fs::remove_file(&file).unwrap();
    }

    fn tempfile_with(text: &str) -> std::path::PathBuf {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "jixiao-config-{}-{}.toml",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        std::fs::write(&path, text).unwrap();
        path
    }
}
