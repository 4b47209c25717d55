//! The tests that run inside WebAssembly, shared by `tests/node.rs` and `tests/browser.rs`.
//! `get_tags` needs the emulator and the Worker that `tests/worker/serve.mjs` starts.

mod core;
mod get_tags;
mod json;
