#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod access_jwt;
pub mod answer;
pub mod api;
pub mod body;
pub mod client;
pub mod codes;
pub mod edge;
#[cfg(all(feature = "emulator", not(target_arch = "wasm32")))]
pub mod emulator;
pub mod json;
pub mod retry;
pub mod upstream;
pub mod usersig;

#[cfg(all(feature = "bench-floor", target_arch = "wasm32"))]
mod bench_floor;
#[cfg(all(feature = "browser", target_arch = "wasm32"))]
pub mod browser;
#[cfg(all(feature = "bench", target_arch = "wasm32"))]
mod signer_js;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod worker;

/// The browser package's allocator: Talc, a well-kept allocator made for wasm, is 2.6 KB
/// gzipped smaller than the default one here, which keeps the package within its size budget.
#[cfg(all(
    feature = "browser",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(all(feature = "worker", feature = "bench-floor"))]
compile_error!("`worker` and `bench-floor` each build a Worker: enable one of them");

pub use answer::{AccountError, Status, VendorError};
pub use api::{Call, Operation, Scope, TagApi};
pub use body::{BodyError, TagRequest, UserTags};
pub use codes::{Action, Coded};
pub use json::Json;
pub use upstream::Region;
pub use usersig::{Claims, SecretKey, SigError, Signer, UserSig};
