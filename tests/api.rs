//! CI's API check (`.ci/check-api`, run by `.ci/run`) on a scratch repository holding this
//! repository's protos: it passes on the protos as they are and on a compatible addition, and
//! fails once a commit breaks compatibility, naming the break.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn git(repository: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=jixiao tests",
            "-c",
            "user.email=tests@jixiao.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(repository)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// Runs the check; returns whether it passed, and what it printed.
fn check_api(repository: &Path) -> (bool, String) {
    let output = Command::new(root().join(".ci/check-api"))
        .arg(repository)
        .current_dir(repository)
        .output()
        .expect(".ci/check-api runs (it needs git and npx)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{from:?} is not in {}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_api_check_passes_additions_and_fails_on_a_breaking_change() {
    let scratch = tempfile::tempdir().unwrap();
    let repository = scratch.path();
    copy_tree(&root().join("proto"), &repository.join("proto"));
    std::fs::copy(root().join("buf.yaml"), repository.join("buf.yaml")).unwrap();
    git(repository, &["init", "--quiet"]);
    git(repository, &["add", "."]);
    git(
        repository,
        &["commit", "--quiet", "-m", "the protos as they are"],
    );
    let (ok, output) = check_api(repository);
    assert!(ok, "{output}");

    let ingest = repository.join("proto/jixiao/ingest/v1/ingest.proto");
    // A new field is compatible.
    edit(
        &ingest,
        "message PushMetricsResponse {",
        "message PushMetricsResponse {\n  // How many points were refused.\n  int64 refused = 90;",
    );
    git(repository, &["commit", "--quiet", "-am", "add a field"]);
    let (ok, output) = check_api(repository);
    assert!(ok, "{output}");

    // Deleting a method and renumbering a field are not.
    let text = std::fs::read_to_string(&ingest).unwrap();
    let export = text
        .lines()
        .find(|line| line.trim_start().starts_with("rpc ExportInputs("))
        .unwrap()
        .to_owned();
    edit(&ingest, &export, "");
    edit(&ingest, "int64 refused = 90;", "int64 refused = 91;");
    git(
        repository,
        &["commit", "--quiet", "-am", "break the contract"],
    );
    let (ok, output) = check_api(repository);
    assert!(!ok, "a breaking change passed:\n{output}");
    assert!(output.contains("ExportInputs"), "{output}");
    assert!(
        output.contains("break compatibility with commit"),
        "{output}"
    );

    // The break is caught against the earlier versions even after a later, harmless commit.
    edit(
        &ingest,
        "// How many points were refused.",
        "// Points refused.",
    );
    git(repository, &["commit", "--quiet", "-am", "a comment"]);
    let (ok, output) = check_api(repository);
    assert!(
        !ok,
        "a breaking change passed after a later commit:\n{output}"
    );
}
