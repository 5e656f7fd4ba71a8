//! The gRPC contract of jixiao: generated messages, servers and clients of both services,
//! and the descriptor set that server reflection serves.
//!
//! Services depend on this crate and never compile protos themselves, since `OUT_DIR` belongs
//! to one package.

pub mod codec;

/// The ingestion service's API (`jixiao.ingest.v1`).
pub mod ingest {
    /// Version 1.
    #[allow(
        missing_docs,
        clippy::all,
        clippy::pedantic,
        missing_debug_implementations
    )]
    pub mod v1 {
        tonic::include_proto!("jixiao.ingest.v1");
    }
}

/// The evaluator service's API (`jixiao.evaluator.v1`).
pub mod evaluator {
    /// Version 1.
    #[allow(
        missing_docs,
        clippy::all,
        clippy::pedantic,
        missing_debug_implementations
    )]
    pub mod v1 {
        tonic::include_proto!("jixiao.evaluator.v1");
    }
}

/// The encoded `FileDescriptorSet` of every jixiao proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("jixiao_descriptor");
