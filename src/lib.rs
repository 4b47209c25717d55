#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod error;
pub mod tags;
pub mod upstream;
pub mod usersig;

pub use error::{Action, Error, codes};
pub use tags::{GetTagsRequest, GetTagsResponse, UserTags};
pub use upstream::Region;
pub use usersig::{Claims, SecretKey, Signer, UserSig};
