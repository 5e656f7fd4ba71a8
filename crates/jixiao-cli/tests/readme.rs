//! The README's grpcurl walk-through, run as written against a fresh `jixiao serve`, so that
//! the documentation cannot drift from the code.

use std::process::Command;
use std::time::Duration;

use jixiao_testkit::Process;

/// A README `sh` block that calls grpcurl: its commands, without comment lines and lines that
/// stand for values the reader fills in (`…`), and whether the README shows it failing (an
/// `# ERROR` comment under it).
struct Block {
    script: String,
    expects_refusal: bool,
}

fn grpcurl_blocks() -> Vec<Block> {
    let readme = include_str!("../../../README.md");
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => {
                current = Some(Block {
                    script: String::new(),
                    expects_refusal: false,
                })
            }
            (Some(block), "```") => {
                if block.script.contains("grpcurl") {
                    blocks.push(current.take().expect("inside a block"));
                }
                current = None;
            }
            (Some(block), text) if text.starts_with("# ERROR") => block.expects_refusal = true,
            (Some(block), text) => {
                if !text.starts_with('#') && !text.contains('…') {
                    block.script.push_str(line);
                    block.script.push('\n');
                }
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_readme_walk_through_runs_as_written() {
    let mut system = Process::start(
        env!("CARGO_BIN_EXE_jixiao"),
        &[
            "serve",
            "--ingest-set",
            "listen=127.0.0.1:0",
            "--evaluator-set",
            "listen=127.0.0.1:0",
            "--evaluator-set",
            "schedule.catch_up_days=0",
        ],
        &["ingest", "evaluator"],
    );
    let ingest = system.address("ingest").to_owned();
    let evaluator = system.address("evaluator").to_owned();
    let blocks = grpcurl_blocks();
    assert!(blocks.len() >= 5, "the README has its walk-through");
    let mut outputs = String::new();
    for block in blocks {
        let script = block
            .script
            .replace("localhost:50051", &ingest)
            .replace("localhost:50052", &evaluator);
        let output = Command::new("bash").args(["-c", &script]).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            output.status.success(),
            !block.expects_refusal,
            "block failed or succeeded unexpectedly:\n{script}\n{text}"
        );
        outputs.push_str(&text);
    }
    for expected in [
        r#""value": "6308.70""#,
        r#""value": "2055500""#,
        r#""total": "97.63""#,
        r#""grade": "优""#,
        "InvalidArgument",
        "RUN_STATUS_SUCCEEDED",
        "central-2020",
        r#""adjustedScore": "27.00""#,
        r#""total": "97.00""#,
        "hunan-department-2020",
    ] {
        assert!(
            outputs.contains(expected),
            "{expected} missing from the walk-through's output"
        );
    }
    // The source report's department as a draft 自评报告, read back by python-docx: its score,
    // grade and budget score, and the two procurement problems the report names.
    let files = tempfile::tempdir().unwrap();
    let report = files.path().join("BY-LAND-2022.docx");
    let (ok, output) = jixiao_testkit::run(
        env!("CARGO_BIN_EXE_jixiao"),
        &[
            "export",
            "BY-LAND",
            "2022",
            "--format",
            "docx",
            "--output",
            report.to_str().unwrap(),
            "--evaluator",
            &format!("http://{evaluator}"),
            "--ingest",
            &format!("http://{ingest}"),
        ],
    );
    assert!(ok, "{output}");
    let read = Command::new("python3")
        .args([
            "-c",
            "import sys, docx\nfor p in docx.Document(sys.argv[1]).paragraphs: print(p.text)",
            report.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let text = String::from_utf8(read.stdout).unwrap();
    for expected in [
        "一、基本情况",
        "二、综合评价分析",
        "三、存在的主要问题",
        "四、下一步改进措施",
        "自评得分 97.63，等级 优",
        "预算执行 9.69 分",
        "政府采购合同未在签订后2个工作日内备案",
        "政府采购预算未按要求填写“面向中小企业采购金额”",
    ] {
        assert!(
            text.contains(expected),
            "{expected} not in the report:\n{text}"
        );
    }
    assert!(system.terminate(Duration::from_secs(30)));
}

/// Every `cargo run`/`cargo build` of the README names binaries that cargo builds from the
/// repository's root (the workspace's default members), so that the commands work as written.
#[test]
fn the_readme_cargo_commands_name_binaries_built_at_the_root() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let default_members: Vec<&str> = metadata["workspace_default_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    let mut built_at_root = std::collections::BTreeSet::new();
    for package in metadata["packages"].as_array().unwrap() {
        if !default_members.contains(&package["id"].as_str().unwrap()) {
            continue;
        }
        for target in package["targets"].as_array().unwrap() {
            if target["kind"]
                .as_array()
                .unwrap()
                .iter()
                .any(|kind| kind == "bin")
            {
                built_at_root.insert(target["name"].as_str().unwrap().to_owned());
            }
        }
    }
    let readme = include_str!("../../../README.md");
    let mut named = Vec::new();
    for line in readme.lines().filter(|line| line.contains("cargo ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            if pair[0] == "--bin" {
                named.push(pair[1].trim_matches(['`', ',', '.']).to_owned());
            }
        }
        // `cargo build --release --bins && target/release/X`.
        if let Some(rest) = line.split("target/release/").nth(1)
            && line.contains("--bins")
        {
            named.push(
                rest.split_whitespace()
                    .next()
                    .unwrap()
                    .trim_matches('`')
                    .to_owned(),
            );
        }
    }
    assert!(named.contains(&"jixiao".to_owned()), "{named:?}");
    assert!(named.contains(&"jixiao-bench".to_owned()), "{named:?}");
    for binary in &named {
        assert!(
            built_at_root.contains(binary),
            "the README runs {binary}, which `cargo` at the root does not build ({built_at_root:?})"
        );
    }
}
