//! `jixiao`: the whole system in one process (`jixiao serve`), the administration of a
//! running evaluator (`evaluate`, `score`, `explain`, `runs`, `adjust`), spreadsheets in and
//! out (`import`, `export`), and operations (`health`, `backup`, `restore`, `token`). The
//! library (`jixiao_cli`) does all of it.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    jixiao_server::exit_code(jixiao_cli::cli::run().await)
}
