//! The benchmark runs end to end at a small size, so that it cannot rot. Its timings are not
//! checked: speed is judged from a release run, never from a test.

use std::process::Command;

#[test]
fn the_benchmark_runs_at_a_small_size_and_prints_its_table() {
    let binary = env!("CARGO_BIN_EXE_jixiao-bench");
    // `cargo test --workspace` builds the services' binaries beside the benchmark's, since their
    // packages have integration tests.
    let dir = std::path::Path::new(binary).parent().unwrap();
    for service in ["jixiao-ingest", "jixiao-evaluator"] {
        assert!(
            dir.join(service).exists(),
            "{service} is not built in {}: run cargo test --workspace",
            dir.display()
        );
    }
    let output = Command::new(binary)
        .args([
            "--departments",
            "120",
            "--metrics",
            "5",
            "--quarters",
            "2",
            "--requests",
            "400",
            "--clients",
            "8",
            "--repetitions",
            "1",
            "--bin-dir",
        ])
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for workload in ["bulk ingest", "small pushes", "year eval"] {
        assert!(
            stdout.contains(workload),
            "{workload} missing from {stdout}"
        );
    }
    assert!(stdout.contains("1 department-wide snapshots"), "{stdout}");
}
