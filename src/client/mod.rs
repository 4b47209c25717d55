//! What the browser package decides without a browser: its errors and their codes, the
//! checks of what a caller hands it, how a batch is split into calls, and what a write did,
//! account by account. `src/browser/` carries these to and from JavaScript.

mod error;
mod input;
mod plan;
mod report;
#[cfg(test)]
mod tests;

pub use error::{ClientError, OptionError, OptionProblem};
pub use input::{
    EntryIndex, distinct_accounts, read_api, read_changes, read_positive, read_replace,
};
pub use plan::{PlannedCall, plan_accounts, plan_entries, waves};
pub use report::{Tracker, WriteReport};

/// Calls of up to this many accounts.
pub use crate::api::account::MAX_ACCOUNTS as ACCOUNTS_PER_CALL;
/// Calls in flight at once; browsers open about six connections per host.
pub const MAX_IN_FLIGHT: usize = 6;
/// The vendor's rate limit, and so the default pace.
pub const DEFAULT_CALLS_PER_SECOND: f64 = 100.0;
/// How long one call may take unless `timeoutMs` says otherwise.
pub const DEFAULT_CALL_TIMEOUT_MS: f64 = 30_000.0;
