//! The files of `deploy/`, checked with the tools that can check them here (there is no
//! container engine or cluster on a test machine): `systemd-analyze verify` for the units,
//! hadolint for the Dockerfile, the Compose Specification's schema for the compose file, and
//! Kubernetes' own schemas for the manifests. Beyond their syntax, every setting they pass to a
//! service (flags, `JIXIAO_*` variables, embedded configuration files) is loaded with the
//! services' own configuration code, and the units' commands start the real binaries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use jixiao_evaluator::EvaluatorConfig;
use jixiao_ingest::IngestConfig;
use jixiao_server::config::{Sources, load_reporting_ignored};
use jixiao_testkit::{Process, run, scrape};

const JIXIAO: &str = env!("CARGO_BIN_EXE_jixiao");

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// A binary of the workspace, built next to `jixiao` by `cargo test --workspace`.
fn sibling(name: &str) -> PathBuf {
    let path = Path::new(JIXIAO).with_file_name(name);
    assert!(
        path.is_file(),
        "{} is missing: build the workspace's binaries first (cargo test --workspace does)",
        path.display()
    );
    path
}

/// Runs a checking tool; panics with its output unless it succeeds.
fn tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| {
            panic!("{program} could not run ({error}); .ci/run installs it (pip install -r .ci/requirements.txt)")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{text}"
    );
    text
}

/// Every scalar of every YAML document in `file`, as `Kind/name:path.to.value` and its value.
fn yaml_scalars(file: &Path) -> Vec<(String, String)> {
    const FLATTEN: &str = r#"
import sys, yaml
def walk(prefix, node):
    if isinstance(node, dict):
        for key, value in node.items():
            walk(f"{prefix}.{key}" if prefix else str(key), value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            walk(f"{prefix}.{index}", value)
    else:
        text = "" if node is None else str(node)
        print(prefix + "=" + text.replace("\\", "\\\\").replace("\n", "\\n"))
for document in yaml.safe_load_all(open(sys.argv[1], encoding="utf-8")):
    if document is None:
        continue
    name = document.get("metadata", {}).get("name", "")
    walk(f"{document.get('kind', '')}/{name}:", document)
"#;
    let output = tool("python3", &["-c", FLATTEN, file.to_str().unwrap()]);
    output
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(path, value)| {
            (
                path.replacen(":.", ":", 1),
                value.replace("\\n", "\n").replace("\\\\", "\\"),
            )
        })
        .collect()
}

fn value<'a>(scalars: &'a [(String, String)], path: &str) -> Option<&'a str> {
    scalars
        .iter()
        .find(|(key, _)| key == path)
        .map(|(_, value)| value.as_str())
}

/// The `name`/`value` pairs of a container's `env` list at `prefix` (`…containers.0.env`).
fn env_list(scalars: &[(String, String)], prefix: &str) -> HashMap<String, String> {
    let mut env = HashMap::new();
    for index in 0.. {
        let Some(name) = value(scalars, &format!("{prefix}.{index}.name")) else {
            break;
        };
        let literal = value(scalars, &format!("{prefix}.{index}.value"));
        // A value from a Secret stands in as a placeholder of the right type.
        env.insert(
            name.to_owned(),
            literal.unwrap_or("from-a-secret").to_owned(),
        );
    }
    env
}

/// Loads a service's configuration from `file` (or none) and `env` under `prefix`, as the
/// service does; panics with the reason if it is not valid.
fn config<T>(file: Option<&Path>, env: &HashMap<String, String>, prefix: &str) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned + Default + jixiao_server::config::Validate,
{
    let (config, ignored) = load_reporting_ignored(&Sources {
        file,
        file_table: None,
        env,
        env_prefix: prefix,
        overrides: Vec::new(),
    })
    .unwrap_or_else(|error| panic!("{error:#}"));
    // The services would start, but a variable of ours that names no setting is a typo.
    assert!(ignored.is_empty(), "no such settings: {ignored:?}");
    config
}

fn check_container_settings(ingest: &IngestConfig, evaluator: &EvaluatorConfig) {
    assert_eq!(ingest.listen, "0.0.0.0:50051");
    assert_eq!(ingest.metrics_listen, "0.0.0.0:9151");
    assert_eq!(ingest.data_dir, Path::new("/var/lib/jixiao"));
    assert_eq!(evaluator.listen, "0.0.0.0:50052");
    assert_eq!(evaluator.metrics_listen, "0.0.0.0:9152");
    assert_eq!(evaluator.data_dir, Path::new("/var/lib/jixiao"));
    assert_ne!(ingest.database_path(), evaluator.database_path());
}

#[test]
fn systemd_units_verify_and_their_commands_start_the_services() {
    let units = tempfile::tempdir().unwrap();
    let bin = Path::new(JIXIAO)
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    sibling("jixiao-ingest");
    sibling("jixiao-evaluator");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(deploy().join("systemd")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".service") || name.ends_with(".timer") {
            // The binaries are checked where this build put them.
            let text = std::fs::read_to_string(&path)
                .unwrap()
                .replace("/usr/local/bin", &bin);
            std::fs::write(units.path().join(&name), text).unwrap();
            names.push(units.path().join(&name).to_str().unwrap().to_owned());
        }
    }
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    let mut args = vec!["verify", "--man=no"];
    args.extend(names.iter().map(String::as_str));
    let output = tool("systemd-analyze", &args);
    // Warnings (an unknown key, a misplaced setting) do not fail the command: none is allowed.
    assert!(
        output.trim().is_empty(),
        "systemd-analyze verify:\n{output}"
    );
    // The user the units run as, from the sysusers.d file, on an empty root.
    let root = tempfile::tempdir().unwrap();
    let sysusers = deploy()
        .join("systemd/jixiao.sysusers")
        .canonicalize()
        .unwrap();
    let output = tool(
        "systemd-sysusers",
        &[
            "--dry-run",
            &format!("--root={}", root.path().display()),
            sysusers.to_str().unwrap(),
        ],
    );
    assert!(
        output.contains("Creating user 'jixiao'") && !output.contains("ignoring"),
        "systemd-sysusers:\n{output}"
    );

    for (unit, service, extra) in [
        (
            "jixiao-ingest.service",
            jixiao_ingest::SERVICE_NAME,
            &[][..],
        ),
        (
            "jixiao-evaluator.service",
            jixiao_evaluator::SERVICE_NAME,
            &["--set", "schedule.enabled=false"][..],
        ),
    ] {
        let text = std::fs::read_to_string(deploy().join("systemd").join(unit)).unwrap();
        let exec = text
            .lines()
            .find_map(|line| line.strip_prefix("ExecStart="))
            .unwrap();
        // The data directory is the unit's StateDirectory; the test gives a fresh one instead.
        assert!(
            exec.contains(" --data-dir /var/lib/jixiao"),
            "{unit}: {exec}"
        );
        let exec = exec.replace(" --data-dir /var/lib/jixiao", "");
        assert!(text.contains("StateDirectory=jixiao\n"), "{unit}");
        let mut words: Vec<String> = exec
            .split_whitespace()
            .map(|word| match word.strip_prefix("/etc/jixiao/") {
                Some(file) => deploy().join(file).to_str().unwrap().to_owned(),
                None => word.replace("/usr/local/bin", &bin),
            })
            .collect();
        assert!(
            !words.iter().any(|word| word.contains("/var/lib")),
            "{unit}: {exec}"
        );
        let binary = words.remove(0);
        let data = tempfile::tempdir().unwrap();
        // Ports of its own, so that tests run side by side.
        words.extend(
            ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]
                .into_iter()
                .chain(extra.iter().copied())
                .map(str::to_owned),
        );
        let args: Vec<&str> = words.iter().map(String::as_str).collect();
        let mut process = Process::start_in(&binary, &args, &["address", "metrics"], data);
        let (ok, answer) = run(
            JIXIAO,
            &[
                "health",
                &format!("http://{}", process.address("address")),
                "--service",
                service,
            ],
        );
        assert!(ok && answer.contains("SERVING"), "{unit}: {answer}");
        assert!(
            scrape(process.address("metrics"))
                .sum("grpc_server_handled_total", &[("grpc_code", "OK")])
                >= 1.0
        );
        // It writes its database where the unit says.
        assert!(
            std::fs::read_dir(process.data_dir())
                .unwrap()
                .any(|entry| entry
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".sqlite")),
            "{unit}: no database in the data directory"
        );
        assert!(process.terminate(Duration::from_secs(30)), "{unit}");
    }
}

#[test]
fn the_dockerfile_lints_and_sets_real_settings() {
    let dockerfile = deploy().join("Dockerfile");
    tool("hadolint", &[dockerfile.to_str().unwrap()]);
    let text = std::fs::read_to_string(&dockerfile)
        .unwrap()
        .replace("\\\n", " ");
    let mut stage = String::new();
    let mut env: HashMap<String, HashMap<String, String>> = HashMap::new();
    for line in text.lines().map(str::trim) {
        if let Some(from) = line.strip_prefix("FROM ") {
            stage = from.rsplit(' ').next().unwrap().to_owned();
        } else if let Some(pairs) = line.strip_prefix("ENV ") {
            for pair in pairs.split_whitespace() {
                let (key, value) = pair.split_once('=').unwrap();
                env.entry(stage.clone())
                    .or_default()
                    .insert(key.to_owned(), value.to_owned());
            }
        } else if let Some(copy) = line.strip_prefix("COPY deploy/") {
            let source = copy.split_whitespace().next().unwrap();
            assert!(
                deploy().join(source).is_file(),
                "COPY of a missing file: {line}"
            );
        }
    }
    let ingest: IngestConfig = config(
        Some(&deploy().join("ingest.toml")),
        &env["ingest"],
        "JIXIAO_INGEST_",
    );
    let evaluator: EvaluatorConfig = config(
        Some(&deploy().join("evaluator.toml")),
        &env["evaluator"],
        "JIXIAO_EVALUATOR_",
    );
    check_container_settings(&ingest, &evaluator);
    assert_eq!(env["runtime"]["JIXIAO_LOG_FORMAT"], "json");
    for service in [jixiao_ingest::SERVICE_NAME, jixiao_evaluator::SERVICE_NAME] {
        assert!(
            text.contains(&format!(r#""--service", "{service}""#)),
            "no health check of {service}"
        );
    }
    let ignored = std::fs::read_to_string(deploy().join("../.dockerignore")).unwrap();
    assert!(ignored.lines().any(|line| line == "target/"), "{ignored}");
}

#[test]
fn the_compose_file_follows_the_compose_specification() {
    let compose = deploy().join("compose.yaml");
    tool(
        "check-jsonschema",
        &[
            "--builtin-schema",
            "vendor.compose-spec",
            compose.to_str().unwrap(),
        ],
    );
    let scalars = yaml_scalars(&compose);
    for (service, target) in [("ingest", "ingest"), ("evaluator", "evaluator")] {
        assert_eq!(
            value(&scalars, &format!("/:services.{service}.build.target")),
            Some(target)
        );
        assert_eq!(
            value(&scalars, &format!("/:services.{service}.build.dockerfile")),
            Some("deploy/Dockerfile")
        );
    }
    let env: HashMap<String, String> = scalars
        .iter()
        .filter_map(|(key, value)| {
            key.strip_prefix("/:services.evaluator.environment.")
                .map(|name| (name.to_owned(), value.clone()))
        })
        .collect();
    let evaluator: EvaluatorConfig = config(
        Some(&deploy().join("evaluator.toml")),
        &env,
        "JIXIAO_EVALUATOR_",
    );
    assert_eq!(evaluator.ingest_endpoint, "http://ingest:50051");
}

#[test]
fn kubernetes_manifests_validate_and_carry_valid_configuration() {
    let directory = deploy().join("kubernetes");
    let kustomization = std::fs::read_to_string(directory.join("kustomization.yaml")).unwrap();
    let mut listed: Vec<String> = kustomization
        .lines()
        .skip_while(|line| !line.starts_with("resources:"))
        .skip(1)
        .map_while(|line| line.strip_prefix("  - "))
        .map(str::to_owned)
        .collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_str().unwrap().to_owned())
        .filter(|name| name.ends_with(".yaml") && name != "kustomization.yaml")
        .collect();
    present.sort();
    assert_eq!(listed, present, "kustomization.yaml lists every manifest");
    let files: Vec<String> = present
        .iter()
        .map(|name| directory.join(name).to_str().unwrap().to_owned())
        .collect();
    let mut args = vec!["--strict", "--quiet"];
    args.extend(files.iter().map(String::as_str));
    tool("kubernetes-validate", &args);

    let config_map = yaml_scalars(&directory.join("config.yaml"));
    let container = |file: &str, name: &str| {
        let scalars = yaml_scalars(&directory.join(file));
        let prefix = format!("StatefulSet/{name}:spec.template.spec.containers.0");
        let env = env_list(&scalars, &format!("{prefix}.env"));
        (scalars, prefix, env)
    };
    let embedded = |key: &str| {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            value(&config_map, &format!("ConfigMap/jixiao-config:data.{key}")).unwrap(),
        )
        .unwrap();
        file
    };

    let (ingest_scalars, ingest_prefix, ingest_env) = container("ingest.yaml", "jixiao-ingest");
    let ingest_file = embedded("ingest.toml");
    let ingest: IngestConfig = config(Some(ingest_file.path()), &ingest_env, "JIXIAO_INGEST_");
    let (evaluator_scalars, evaluator_prefix, evaluator_env) =
        container("evaluator.yaml", "jixiao-evaluator");
    let evaluator_file = embedded("evaluator.toml");
    let evaluator: EvaluatorConfig = config(
        Some(evaluator_file.path()),
        &evaluator_env,
        "JIXIAO_EVALUATOR_",
    );
    check_container_settings(&ingest, &evaluator);
    assert_eq!(evaluator.ingest_endpoint, "http://jixiao-ingest:50051");
    assert_eq!(
        value(
            &evaluator_scalars,
            &format!("{evaluator_prefix}.env.4.valueFrom.secretKeyRef.name")
        ),
        Some("jixiao-tokens")
    );
    let secret = yaml_scalars(&directory.join("secret.yaml"));
    assert!(
        value(
            &secret,
            "Secret/jixiao-tokens:stringData.evaluator-ingest-token"
        )
        .is_some()
    );

    for (scalars, prefix, service, port) in [
        (
            &ingest_scalars,
            &ingest_prefix,
            jixiao_ingest::SERVICE_NAME,
            "50051",
        ),
        (
            &evaluator_scalars,
            &evaluator_prefix,
            jixiao_evaluator::SERVICE_NAME,
            "50052",
        ),
    ] {
        assert_eq!(
            value(scalars, &format!("{prefix}.readinessProbe.grpc.service")),
            Some(service)
        );
        assert_eq!(
            value(scalars, &format!("{prefix}.readinessProbe.grpc.port")),
            Some(port)
        );
        assert_eq!(
            value(scalars, &format!("{prefix}.livenessProbe.grpc.port")),
            Some(port)
        );
    }
}
