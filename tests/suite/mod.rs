//! The tests that run inside WebAssembly, shared by `tests/node.rs` and `tests/browser.rs`.
//! `get_tags`, `write_tags`, `write_stops` and `history` need the emulator and the Worker
//! that `tests/worker/serve.mjs` starts; without them they say how to start them.

mod core;
mod get_tags;
mod history;
mod json;
mod package;
mod stack;
mod write_stops;
mod write_tags;
