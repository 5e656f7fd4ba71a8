//! The `jixiao` command as a library: its command line ([`cli`]), `jixiao serve` ([`serve`]),
//! the administration clients of the evaluator ([`admin`]) and the services' endpoints
//! ([`endpoint`]), and spreadsheets in and out along the data flow: [`grid`] reads a file into
//! grids, [`table::read`] finds the 自评表 in them (the shape of [`table`]), [`import`] makes
//! each table one request and sends it, [`export`] writes a snapshot back as a table and a
//! report, figures printed as [`figures`] says.

#![deny(clippy::print_stdout)]

pub mod admin;
pub mod cli;
pub mod endpoint;
pub mod export;
pub mod figures;
pub mod grid;
pub mod import;
pub mod output;
pub mod serve;
pub mod table;
