//! The `jixiao` command as a library: its command line ([`cli`]), `jixiao serve` ([`serve`]),
//! the administration clients of the evaluator ([`admin`]), and spreadsheets in and out
//! ([`grid`] reads files into grids, [`import`] finds tables in them and pushes them, [`export`]
//! writes them, over the 自评表 shape of [`table`]).

pub mod admin;
pub mod cli;
pub mod export;
pub mod grid;
pub mod import;
pub mod serve;
pub mod table;
