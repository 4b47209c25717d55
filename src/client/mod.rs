//! What the browser package decides without a browser: its errors and their codes, the
//! checks of what a caller hands it, how a batch is split into calls, what a write did,
//! account by account, and the history: its queries, and what an undo did. `src/browser/`
//! carries these to and from JavaScript.

mod error;
mod history;
mod input;
mod plan;
mod report;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_history;
mod undo;

pub use error::{ClientError, OptionError, OptionProblem};
pub use history::{
    UndoTarget, batch_id, batch_page_path, change_path, history_path, push_encoded, read_change,
    read_id, read_page, undo_request,
};
pub use input::{
    EntryIndex, distinct_accounts, known_options, named_accounts, read_api, read_changes,
    read_positive, read_replace,
};
pub use plan::{PlannedCall, plan_accounts, plan_entries, waves};
pub use report::{Tracker, WriteReport};
pub use undo::{Outcomes, Skipped, Undo, UndoCall, UndoReport};

/// Calls of up to this many accounts.
pub use crate::api::account::MAX_ACCOUNTS as ACCOUNTS_PER_CALL;
/// Calls in flight at once; browsers open about six connections per host.
pub const MAX_IN_FLIGHT: usize = 6;
/// The vendor's rate limit, and so the default pace.
pub const DEFAULT_CALLS_PER_SECOND: f64 = 100.0;
/// How long one call may take unless `timeoutMs` says otherwise.
pub const DEFAULT_CALL_TIMEOUT_MS: f64 = 30_000.0;
