//! The `jixiao` command line: its subcommands and what each runs. `main.rs` only calls
//! [`run`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::serve::{self, ServeArgs};
use crate::{admin, endpoint, export, import};

/// jixiao (绩效): budget performance monitoring and self-evaluation.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs both services and the schedule in one process (data in ./data, ports 50051 and
    /// 50052, the framework central-2020, unless configured otherwise).
    Serve(ServeArgs),
    /// Runs an evaluation now and prints each department's score.
    Evaluate {
        /// The period: a quarter (2022-Q2) or a year (2022).
        period: String,
        /// Departments to evaluate (default: every top-level department).
        #[arg(long = "department", value_name = "CODE")]
        departments: Vec<String>,
        #[command(flatten)]
        endpoint: endpoint::Endpoint,
    },
    /// Prints the latest score of a department (部门整体), or with --project of one of its
    /// projects (项目支出), for a period.
    Score {
        /// Department code.
        department: String,
        /// The period: a quarter (2022-Q2) or a year (2022).
        period: String,
        /// A project of the department.
        #[arg(long, value_name = "CODE", default_value = "")]
        project: String,
        #[command(flatten)]
        endpoint: endpoint::Endpoint,
    },
    /// Prints a snapshot's full explanation: budget execution, each indicator (with its target
    /// and actual as written), deductions and flags with their figures.
    Explain {
        /// A snapshot id, or a department code followed by a period for its latest snapshot.
        target: Vec<String>,
        /// With a department and a period: the latest snapshot of this project of it.
        #[arg(long, value_name = "CODE", default_value = "")]
        project: String,
        #[command(flatten)]
        endpoint: endpoint::Endpoint,
    },
    /// Lists a department's projects with their latest scores for a year.
    Projects {
        /// Department code.
        department: String,
        /// The year.
        year: i32,
        #[command(flatten)]
        endpoint: endpoint::Endpoint,
    },
    /// Prints a new random bearer token and the configuration entry (with its SHA-256) that
    /// lets it in; the token itself is shown once and stored nowhere.
    Token {
        /// The token's name, recorded with every revision it pushes.
        #[arg(long)]
        name: String,
        /// Scopes: push, read, admin (repeat the flag for several).
        #[arg(long = "scope", value_name = "SCOPE", required = true)]
        scopes: Vec<String>,
        /// A department code prefix the token is limited to (repeat for several), for push and
        /// admin; a read token cannot be limited (its lists answer for every department).
        #[arg(long = "department", value_name = "PREFIX")]
        departments: Vec<String>,
    },
    /// Checks a service's health (grpc.health.v1): prints its status and exits with 0 only
    /// when it is SERVING. For container health checks and scripts.
    Health {
        /// The service's address, for example http://127.0.0.1:50051.
        url: String,
        /// The service to ask about (jixiao.ingest.v1.IngestService,
        /// jixiao.evaluator.v1.EvaluatorService); empty: the server as a whole.
        #[arg(long, default_value = "")]
        service: String,
        /// With an https:// address: the CA that signed its certificate (PEM).
        #[arg(long, env = "JIXIAO_CA_FILE")]
        ca_file: Option<PathBuf>,
        /// With a server that requires client certificates: this client's certificate (PEM).
        #[arg(long, env = "JIXIAO_CERT_FILE")]
        cert_file: Option<PathBuf>,
        /// This client's private key (PEM).
        #[arg(long, env = "JIXIAO_KEY_FILE")]
        key_file: Option<PathBuf>,
    },
    /// Copies a service's SQLite file while the service runs (SQLite `VACUUM INTO`: the
    /// database as of one commit), checks the copy and only then gives it its name.
    Backup {
        /// The database, for example data/ingest.sqlite.
        database: PathBuf,
        /// The backup file to write; it must not exist.
        destination: PathBuf,
    },
    /// Puts a backup in place of a service's SQLite file. Stop the service first; the file it
    /// replaces is kept as <DATABASE>.before-restore.
    Restore {
        /// The backup file.
        backup: PathBuf,
        /// The database to replace, for example data/ingest.sqlite.
        database: PathBuf,
    },
    /// Sets a reviewer's score for a row (its indicator code) or for `budget` of a subject's
    /// period, with the reason (scope admin); prints the adjustment and the new snapshot's score.
    Adjust {
        /// Department code (of the project's department for a project).
        department: String,
        /// The period: a quarter (2022-Q2) or a year (2022).
        period: String,
        /// The row's indicator code, or `budget` for budget execution.
        row: String,
        /// The reviewer's score, in points (at most the row's weight).
        score: String,
        /// Why the score differs from the rules'.
        #[arg(long)]
        reason: String,
        /// A project of the department.
        #[arg(long, value_name = "CODE", default_value = "")]
        project: String,
        #[command(flatten)]
        endpoint: endpoint::Endpoint,
    },
    /// Lists the adjustments of a subject's period with who made them, when, why, and whether
    /// the latest snapshot applies them.
    Adjustments {
        /// Department code.
        department: String,
        /// The period.
        period: String,
        /// A project of the department.
        #[arg(long, value_name = "CODE", default_value = "")]
        project: String,
        #[command(flatten)]
        endpoint: endpoint::Endpoint,
    },
    /// Lists the rows awaiting a reviewer in a period, across subjects (ListPendingReviews):
    /// rows the rules could not judge, with their texts, the printed 得分 and the reason;
    /// `jixiao adjust` scores one.
    Reviews {
        /// The period (`2022`, `2022-Q2`).
        period: String,
        /// One department's own rows and its projects'.
        #[arg(long, value_name = "CODE", default_value = "")]
        department: String,
        #[command(flatten)]
        endpoint: endpoint::Endpoint,
    },
    /// Lists the scoring frameworks the evaluator loads and the default of each subject kind.
    Frameworks {
        #[command(flatten)]
        endpoint: endpoint::Endpoint,
    },
    /// Reads the 自评表 of a spreadsheet (.xlsx, .xls, .ods, .csv) or a Word document (.docx) as
    /// published and sends each table to the ingestion service as one ImportTable request,
    /// stored whole or not at all: unit, project, target set with the texts, budget figures,
    /// printed scores and actuals. Importing the same file again stores nothing (and says so);
    /// a retry never stores twice. No table is refused for its words: a cell read otherwise
    /// than as written is noted.
    Import {
        /// The spreadsheet.
        file: PathBuf,
        /// The department's code (the tables name units, not codes).
        #[arg(long)]
        department: String,
        /// The code of the project a project table scores (default: derived from its name).
        #[arg(long, default_value = "")]
        project: String,
        /// The year (default: the title's, `2022年度…`).
        #[arg(long)]
        year: Option<i32>,
        /// The framework the target sets are written for (central-2020, hubei-2020 …).
        #[arg(long, default_value = "")]
        framework: String,
        /// Ask the ingestion service to run every check of the import and store nothing
        /// (`validate_only`): a clean dry run means the import stores.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        ingest: endpoint::IngestEndpoint,
    },
    /// Writes a subject's period from its latest snapshot: the filled 自评表 (xlsx), a draft
    /// 自评报告 (docx), or both as Markdown (md).
    Export {
        /// Department code.
        department: String,
        /// The period: a quarter or a year.
        period: String,
        /// A project of the department.
        #[arg(long, value_name = "CODE", default_value = "")]
        project: String,
        /// xlsx, docx or md.
        #[arg(long, value_enum)]
        format: export::Format,
        /// The file to write (default: SUBJECT-PERIOD.FORMAT).
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        endpoint: endpoint::Endpoint,
        #[command(flatten)]
        ingest: endpoint::IngestEndpoint,
    },
    /// Lists the latest evaluation runs.
    Runs {
        /// How many runs.
        #[arg(long, default_value_t = 20)]
        limit: i32,
        #[command(flatten)]
        endpoint: endpoint::Endpoint,
    },
}

/// Parses the command line and runs the subcommand.
///
/// # Errors
/// What the subcommand failed on.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let telemetry = args.telemetry.clone();
            jixiao_server::telemetry::run_with(&telemetry, "jixiao", serve::serve(args)).await
        }
        Command::Evaluate {
            period,
            departments,
            endpoint,
        } => admin::evaluate(&endpoint, period, departments).await,
        Command::Score {
            department,
            period,
            project,
            endpoint,
        } => admin::score(&endpoint, department, period, project).await,
        Command::Explain {
            target,
            project,
            endpoint,
        } => admin::explain(&endpoint, target, project).await,
        Command::Projects {
            department,
            year,
            endpoint,
        } => admin::projects(&endpoint, department, year).await,
        Command::Runs { limit, endpoint } => admin::runs(&endpoint, limit).await,
        Command::Adjust {
            department,
            period,
            row,
            score,
            reason,
            project,
            endpoint,
        } => {
            let args = admin::AdjustArgs {
                department,
                period,
                row,
                score,
                reason,
                project,
            };
            admin::adjust(&endpoint, args).await
        }
        Command::Adjustments {
            department,
            period,
            project,
            endpoint,
        } => admin::adjustments(&endpoint, department, period, project).await,
        Command::Reviews {
            period,
            department,
            endpoint,
        } => admin::reviews(&endpoint, period, department).await,
        Command::Frameworks { endpoint } => admin::frameworks(&endpoint).await,
        Command::Import {
            file,
            department,
            project,
            year,
            framework,
            dry_run,
            ingest,
        } => {
            let options = import::ImportOptions {
                department,
                project,
                year,
                framework,
                dry_run,
            };
            import::run(&file, &options, &ingest).await
        }
        Command::Export {
            department,
            period,
            project,
            format,
            output,
            endpoint,
            ingest,
        } => {
            export::run(
                &endpoint, &ingest, department, period, project, format, output,
            )
            .await
        }
        Command::Health {
            url,
            service,
            ca_file,
            cert_file,
            key_file,
        } => {
            let tls = jixiao_server::tls::ClientTls {
                ca_file,
                cert_file,
                key_file,
                domain_name: None,
            };
            admin::health(&url, &service, &tls).await
        }
        Command::Backup {
            database,
            destination,
        } => {
            let report = jixiao_sqlite::backup::backup(&database, &destination).await?;
            crate::say!(
                "backed up {} to {} ({} bytes, integrity checked)",
                database.display(),
                report.path.display(),
                report.bytes
            );
            Ok(())
        }
        Command::Restore { backup, database } => {
            let report = jixiao_sqlite::backup::restore(&backup, &database).await?;
            crate::say!(
                "restored {} to {} ({} bytes); start the service again",
                backup.display(),
                report.path.display(),
                report.bytes
            );
            Ok(())
        }
        Command::Token {
            name,
            scopes,
            departments,
        } => token(&name, &scopes, &departments),
    }
}

fn token(name: &str, scopes: &[String], departments: &[String]) -> anyhow::Result<()> {
    for scope in scopes {
        if !matches!(scope.as_str(), "push" | "read" | "admin") {
            anyhow::bail!("--scope {scope:?}: expected push, read or admin");
        }
    }
    let parsed: Vec<jixiao_server::auth::Scope> = scopes
        .iter()
        .filter_map(|scope| match scope.as_str() {
            "push" => Some(jixiao_server::auth::Scope::Push),
            "read" => Some(jixiao_server::auth::Scope::Read),
            "admin" => Some(jixiao_server::auth::Scope::Admin),
            _ => None,
        })
        .collect();
    jixiao_server::auth::check_enforceable(name, &parsed, departments)?;
    let (token, hash) = jixiao_server::auth::new_token()?;
    let quote = |items: &[String]| {
        items
            .iter()
            .map(|item| format!("{item:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    crate::say!("token (give it to the client; it is not stored anywhere):");
    crate::say!("  {token}");
    crate::say!();
    crate::say!("configuration (add it to the service's [auth] table, for example [ingest.auth]):");
    crate::say!("  [[auth.tokens]]");
    crate::say!("  name = {name:?}");
    crate::say!("  sha256 = \"{hash}\"");
    crate::say!("  scopes = [{}]", quote(scopes));
    if !departments.is_empty() {
        crate::say!("  departments = [{}]", quote(departments));
    }
    Ok(())
}
