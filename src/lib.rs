#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod api;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "edge")]
pub mod edge;
#[cfg(all(feature = "emulator", not(target_arch = "wasm32")))]
pub mod emulator;

#[cfg(all(feature = "browser", target_arch = "wasm32"))]
pub mod browser;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod worker;

#[cfg(all(feature = "bench-floor", target_arch = "wasm32"))]
#[path = "../bench/floor.rs"]
mod bench_floor;
#[cfg(all(feature = "bench", target_arch = "wasm32"))]
#[path = "../bench/signer_js.rs"]
mod signer_js;

/// The allocator of both faces' wasm: Talc, a well-kept allocator made for wasm, is 2.6 KB
/// gzipped smaller than the default one, which keeps the package and the Worker (with its
/// pacer) within their size budgets.
#[cfg(all(
    any(feature = "browser", feature = "worker"),
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(all(feature = "worker", feature = "bench-floor"))]
compile_error!("`worker` and `bench-floor` each build a Worker: enable one of them");

pub use api::answer::{AccountError, Status, VendorError};
pub use api::calls::{Call, Operation, Scope, TagApi};
pub use api::codes::{Action, Coded};
pub use api::invalid::{BodyError, Invalid};
pub use api::json::Json;
pub use api::region::Region;
pub use api::request::{TagRequest, UserTags};
pub use api::usersig::{Claims, SecretKey, SigError, Signer, UserSig};
