//! Integration tests of the evaluator with a real ingestion service, both on port 0 with
//! temporary SQLite files, over real gRPC on loopback.

mod extremes;
#[path = "../support/field.rs"]
#[allow(dead_code)]
mod field;
mod frameworks;
mod hostile;
#[path = "../ingest/support.rs"]
#[allow(dead_code)]
mod ingest_support;
mod reviews;
mod runs;
mod schedule;
mod scoring;
mod support;
mod written;
