//! Compiles `proto/` with protox (pure Rust, no system `protoc`) and generates the tonic
//! servers and clients. The descriptor set is written to `OUT_DIR` for server reflection.

use std::path::PathBuf;

use prost::Message;

const PROTOS: &[&str] = &[
    "jixiao/ingest/v1/ingest.proto",
    "jixiao/evaluator/v1/evaluator.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let descriptor_set = protox::compile(PROTOS, ["proto"])?;
    let descriptor_path = out_dir.join("jixiao_descriptor.bin");
    std::fs::write(&descriptor_path, descriptor_set.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .codec_path("crate::codec::JixiaoCodec")
        .compile_fds(descriptor_set)?;
    Ok(())
}
