//! The WebAssembly suite in Node.js: `cargo test --target wasm32-unknown-unknown --test node`.
#![cfg(target_arch = "wasm32")]

mod suite;
