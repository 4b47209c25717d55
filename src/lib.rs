#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod access_jwt;
pub mod edge;
#[cfg(all(feature = "emulator", not(target_arch = "wasm32")))]
pub mod emulator;
mod error;
pub mod json;
pub mod tags;
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

#[cfg(all(feature = "worker", feature = "bench-floor"))]
compile_error!("`worker` and `bench-floor` each build a Worker: enable one of them");

pub use error::{Action, Error, codes};
pub use json::Json;
pub use tags::{GetTagsRequest, GetTagsResponse, UserTags};
pub use upstream::Region;
pub use usersig::{Claims, SecretKey, Signer, UserSig};
