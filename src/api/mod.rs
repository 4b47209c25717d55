//! The vendor's tag API as data and rules, with no runtime: the call table, the request shapes
//! and their one validator, the answers, the codes and what to do about each, the retry
//! policy, UserSig, and the regions. Every face works from here.

pub mod account;
pub mod answer;
pub mod calls;
pub mod codes;
pub mod invalid;
pub mod json;
pub mod named;
pub mod ratelimit;
pub mod region;
pub mod request;
pub mod retry;
pub mod usersig;
