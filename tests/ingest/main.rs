//! Integration tests of the ingestion service over real gRPC on loopback, each on its own
//! temporary SQLite file.

mod auth;
mod cases;
mod concurrency;
mod departments;
mod export;
#[path = "../support/field.rs"]
#[allow(dead_code)]
mod field;
mod hostile;
mod lifecycle;
mod limits;
mod metrics;
mod streams;
mod support;
mod tables;
mod targets;
mod tls;
