//! The real `jixiao-evaluator` binary: crash safety and the metrics endpoint.

mod crash;
mod metrics;
mod support;
