//! The calls of a batch: paced, at most six in flight, each tried again as the retry policy
//! says, every answer heard as it arrives, and all of them cancelled by the caller's signal.

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::ops::Range;
use std::pin::Pin;
use std::task::Poll;

use gloo_net::http::Method;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, AbortSignal};

use super::error::Failure;
use super::http::{PaceNews, Sent, send};
use super::options::{Settings, tell_progress};
use crate::api::answer::{Status, answered_tags, failed_accounts};
use crate::api::calls::AnswerShape;
use crate::api::codes::{Action, Coded};
use crate::api::retry::{Next, Retries, RetryPolicy};
use crate::client::{ClientError, MAX_IN_FLIGHT, Outcomes};

/// How often a pause looks whether the batch was aborted meanwhile.
const PAUSE_STEP_MS: f64 = 250.0;

/// What one call's answer gave: a get's entries, and what it said of its accounts.
pub(super) struct CallAnswer {
    pub(super) entries: Vec<(String, JsValue)>,
    pub(super) outcomes: Outcomes,
}

/// What the answers of a batch's calls hold besides their status.
#[derive(Clone, Copy)]
pub(super) enum Answers {
    /// The vendor's, for a call of the table, of this shape; failed accounts in `ErrorList`.
    Vendor(AnswerShape),
    /// An undo's: its accounts done, failed and skipped.
    Undo,
}

/// Sends the calls of `waves`, each path and body written by `request_of` as its turn comes,
/// paced and at most six in flight, each tried again as the retry policy says; a wave goes
/// once every call of the one before is answered. `on_answer(index, answered)` hears each
/// answer as it arrives, in whatever order, and says how many accounts it finished. After a
/// failure no new call is sent, the calls in flight finish and are heard, and the first
/// failure comes back; an abort cancels the calls in flight too.
pub(super) async fn run_calls(
    settings: &Settings,
    answers: Answers,
    total: usize,
    waves: &[Range<usize>],
    request_of: &dyn Fn(usize) -> (String, String),
    on_answer: &mut dyn FnMut(usize, CallAnswer) -> usize,
) -> Result<(), Failure> {
    if settings.aborted() {
        return Err(ClientError::Aborted.into());
    }
    let controller =
        AbortController::new().map_err(|_| ClientError::Internal("no AbortController"))?;
    let _link = Link::new(settings, &controller);
    let batch = Batch {
        settings,
        controller: &controller,
        answers,
        request_of,
        next_at: Cell::new(js_sys::Date::now()),
        interval_ms: Cell::new(settings.interval_ms(None)),
        stopped: Cell::new(false),
        in_flight: Cell::new(0),
        progress: Cell::new(Progress {
            done: 0,
            total,
            waiting: false,
        }),
    };
    batch.tell();
    let mut first_failure: Option<Failure> = None;
    for wave in waves {
        let mut hear = |index: usize, result: Result<CallAnswer, Failure>| match result {
            Ok(answered) => {
                let done = on_answer(index, answered);
                batch.update(|progress| progress.done += done);
            }
            Err(failure) => {
                // Refused as a whole, the call was answered: its accounts are failed, not
                // "not done".
                if let Some((code, info)) = failure.refusal() {
                    let refused = CallAnswer {
                        entries: Vec::new(),
                        outcomes: Outcomes::refused(code, info),
                    };
                    batch.update(|progress| progress.done += on_answer(index, refused));
                }
                first_failure.get_or_insert(failure);
            }
        };
        batch.run_wave(wave.clone(), &mut hear).await;
        if batch.stopping() {
            break;
        }
    }
    match first_failure {
        Some(failure) => Err(failure),
        None if settings.aborted() => Err(ClientError::Aborted.into()),
        None => Ok(()),
    }
}

/// The calls of one batch under way, and what they share.
pub(super) struct Batch<'a> {
    settings: &'a Settings,
    controller: &'a AbortController,
    answers: Answers,
    request_of: &'a dyn Fn(usize) -> (String, String),
    /// When the next call may go: each call takes its turn one interval after the last.
    next_at: Cell<f64>,
    /// The interval between two calls: the app's rate as the Worker tells it, or slower
    /// when the caller's `maxCallsPerSecond` says so.
    interval_ms: Cell<f64>,
    /// Set by the first failure: no call is sent after it.
    stopped: Cell<bool>,
    /// Calls sent and not answered yet.
    in_flight: Cell<usize>,
    /// What `onProgress` was told last.
    progress: Cell<Progress>,
}

/// Accounts finished of how many, and whether the batch is waiting for the app's rate.
#[derive(Clone, Copy, PartialEq)]
pub(super) struct Progress {
    pub(super) done: usize,
    pub(super) total: usize,
    pub(super) waiting: bool,
}

impl Batch<'_> {
    /// Tells `onProgress` where the batch is.
    fn tell(&self) {
        tell_progress(self.settings, self.progress.get());
    }

    /// Changes the progress, and tells `onProgress` when it changed.
    fn update(&self, change: impl FnOnce(&mut Progress)) {
        let mut progress = self.progress.get();
        change(&mut progress);
        if progress != self.progress.get() {
            self.progress.set(progress);
            self.tell();
        }
    }

    /// When the next call may go, which takes that turn.
    fn take_turn(&self) -> f64 {
        let at = self.next_at.get().max(js_sys::Date::now());
        self.next_at.set(at + self.interval_ms.get());
        at
    }

    /// Learns from an answer the app's rate, and whether it is all in use right now.
    fn hear_pace(&self, news: PaceNews) {
        // A quota of none would stall the batch: it is no quota at all.
        if let Some(quota) = news.quota.filter(|quota| *quota > 0) {
            self.interval_ms.set(self.settings.interval_ms(Some(quota)));
        }
        if let Some(remaining) = news.remaining {
            self.update(|progress| progress.waiting = remaining == 0);
        }
    }

    /// Waits `ms`, or less when the batch is aborted meanwhile; whether it waited it all.
    async fn pause(&self, ms: u32) -> bool {
        let until = js_sys::Date::now() + f64::from(ms);
        loop {
            let left = until - js_sys::Date::now();
            if self.controller.signal().aborted() {
                return false;
            }
            if left < 1.0 {
                return true;
            }
            TimeoutFuture::new(left.min(PAUSE_STEP_MS) as u32).await;
        }
    }

    /// Whether no new call may go: one failed, or the caller aborted.
    fn stopping(&self) -> bool {
        self.stopped.get() || self.controller.signal().aborted()
    }

    /// Runs the calls of `wave`, at most [`MAX_IN_FLIGHT`] at once, and hands `hear` the
    /// result of each call sent as soon as it arrives, whatever the order: an answer queued
    /// behind a slower call would be lost if the batch stopped meanwhile. Returns once every
    /// call of the wave has gone and been heard, or once the batch is stopping and every call
    /// sent has been heard.
    async fn run_wave(
        &self,
        wave: Range<usize>,
        hear: &mut dyn FnMut(usize, Result<CallAnswer, Failure>),
    ) {
        let mut waiting = wave;
        let mut running = Vec::with_capacity(MAX_IN_FLIGHT);
        loop {
            while running.len() < MAX_IN_FLIGHT
                && let Some(index) = waiting.next()
            {
                let at = self.take_turn();
                running.push(Box::pin(async move {
                    (index, self.send_in_turn(index, at).await)
                }));
            }
            if running.is_empty() {
                break;
            }
            // The first call to finish, whichever it is; the others go on.
            let (index, result) = first_done(&mut running).await;
            if let Some(result) = result {
                hear(index, result);
            }
            // Stopping, the calls left would only wait for their turn to skip it. Nothing in
            // flight means every result has been heard: a call leaves the count in the poll
            // that completes it, and its result is heard right after that poll.
            if self.stopping() && self.in_flight.get() == 0 {
                break;
            }
        }
    }

    /// Call `index`, sent at its turn `at` unless the batch is stopping by then (`None`); its
    /// failure stops the batch at once, before any other call can take its turn.
    async fn send_in_turn(&self, index: usize, at: f64) -> Option<Result<CallAnswer, Failure>> {
        let wait = (at - js_sys::Date::now()).max(0.0);
        if !self.pause(wait as u32).await || self.stopping() {
            return None;
        }
        let (path, body) = (self.request_of)(index);
        self.in_flight.set(self.in_flight.get() + 1);
        let result = self
            .call_with_retries(&self.settings.url(&path), &body)
            .await;
        self.in_flight.set(self.in_flight.get() - 1);
        if result.is_err() {
            self.stopped.set(true);
        }
        Some(result)
    }

    /// One call, sent again as often as the app's rate asks it to wait, and tried again as
    /// the browser's retry policy says.
    async fn call_with_retries(&self, url: &str, body: &str) -> Result<CallAnswer, Failure> {
        let mut retries = Retries::new(RetryPolicy::BROWSER);
        loop {
            let failure = match self.one_call(url, body).await {
                Ok(answered) => return Ok(answered),
                Err(failure) => failure,
            };
            let random = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
            let pause_ms = match failure.error.action() {
                // Pacing never fails a batch: wait as told, and send the same call again.
                Action::RateLimited => {
                    self.update(|progress| progress.waiting = true);
                    RetryPolicy::BROWSER.paced_wait_ms(failure.retry_after_s, random)
                }
                Action::Retry | Action::SignAgain | Action::Configuration | Action::GiveUp => {
                    let Some(outcome) = failure.error.try_outcome() else {
                        return Err(failure);
                    };
                    match retries.after(outcome, f64::INFINITY, random) {
                        Next::Retry { after_ms, .. } => after_ms,
                        Next::Stop => return Err(failure),
                    }
                }
            };
            if !self.pause(pause_ms).await {
                return Err(ClientError::Aborted.into());
            }
        }
    }

    /// One call: its answer, read as the vendor's (a get's tags, and `ErrorList`) or as an
    /// undo's; a refusal in the vendor's shape fails it either way.
    async fn one_call(&self, url: &str, body: &str) -> Result<CallAnswer, Failure> {
        let Sent {
            status,
            answer,
            pace,
        } = send(
            self.settings,
            self.controller,
            Method::POST,
            url,
            Some(body),
        )
        .await?;
        self.hear_pace(pace);
        let not_the_worker = || Failure::not_the_worker(url, status);
        let answer_status = Status::read(&answer);
        if let Some(refused) = answer_status.as_ref().filter(|s| !s.ok()) {
            return Err(Failure {
                error: ClientError::Answered {
                    code: refused.code,
                    info: refused.info.clone(),
                },
                status: Some(status),
                retry_after_s: pace.retry_after_s,
            });
        }
        match self.answers {
            // The vendor's answers are of its shape, with a status.
            Answers::Vendor(shape) => answer_status.and_then(|_| vendor_answer(shape, &answer)),
            Answers::Undo => Outcomes::read_undo(&answer).map(|outcomes| CallAnswer {
                entries: Vec::new(),
                outcomes,
            }),
        }
        .ok_or_else(not_the_worker)
    }
}

/// A vendor's answer that succeeded, as the call table says it is shaped: a get's tags, and
/// the accounts it failed.
fn vendor_answer(shape: AnswerShape, answer: &JsValue) -> Option<CallAnswer> {
    let entries = match shape {
        AnswerShape::Tags => answered_tags(answer)?,
        AnswerShape::Status => Vec::new(),
    };
    let outcomes = Outcomes {
        failed: failed_accounts(answer)?,
        ..Outcomes::default()
    };
    Some(CallAnswer { entries, outcomes })
}

/// The output of the first of `running` to finish, which leaves the list; the others go on.
/// Polling a handful of calls each time is all a batch needs, without a scheduler's code.
async fn first_done<F: Future + Unpin>(running: &mut Vec<F>) -> F::Output {
    poll_fn(|context| {
        for index in 0..running.len() {
            if let Poll::Ready(output) = Pin::new(&mut running[index]).poll(context) {
                running.swap_remove(index);
                return Poll::Ready(output);
            }
        }
        Poll::Pending
    })
    .await
}

/// Aborts `controller` when the caller's signal aborts, for as long as it lives.
pub(super) struct Link<'a> {
    signal: Option<&'a AbortSignal>,
    on_abort: Closure<dyn Fn()>,
}

impl<'a> Link<'a> {
    pub(super) fn new(settings: &'a Settings, controller: &AbortController) -> Self {
        let on_abort = {
            let controller = controller.clone();
            Closure::<dyn Fn()>::new(move || {
                controller.abort_with_reason(&js_sys::Error::new("aborted"))
            })
        };
        if let Some(signal) = &settings.signal {
            let _ =
                signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
        Self {
            signal: settings.signal.as_ref(),
            on_abort,
        }
    }
}

impl Drop for Link<'_> {
    fn drop(&mut self) {
        if let Some(signal) = self.signal {
            let _ = signal.remove_event_listener_with_callback(
                "abort",
                self.on_abort.as_ref().unchecked_ref(),
            );
        }
    }
}
