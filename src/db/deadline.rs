//! A request's deadline, as the data layer sees it. The web layer starts one per request and
//! answers 503 when it passes; the data layer makes that answer true: work that has not begun
//! committing by then is rolled back, never committed later behind the caller's back.
//!
//! The two sides meet in one atomic state. `db::write` moves it from *running* to *committing*
//! just before COMMIT, and back when COMMIT has answered; the web layer, at the deadline, moves
//! it from *running* to *abandoned*. Whichever moves first wins, so the answer can tell which
//! case it is in: abandoned (nothing of the pending work will be kept), or caught mid-commit
//! (the change may be kept, and the caller is told so).

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::time::{Duration, Instant};

const RUNNING: u8 = 0;
const COMMITTING: u8 = 1;
const ABANDONED: u8 = 2;
/// Abandoned while a commit was under way: abandoned as soon as the commit answers.
const COMMITTING_ABANDONED: u8 = 3;

/// One request's deadline and how far its database work got.
#[derive(Debug)]
pub struct Deadline {
    at: Instant,
    state: AtomicU8,
    committed: AtomicBool,
    /// Whether a commit made earlier in the request counts as a change the caller made (not for
    /// reads, whose only commits are bookkeeping).
    commits_count: bool,
    /// Statements sent to the database for this request (`count_statement`).
    statements: AtomicU32,
}

/// What the web layer finds when the deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abandoned {
    /// No commit was made or under way: nothing of the request was kept.
    NothingKept,
    /// A commit was under way or done: some of the request may have been kept.
    MaybeKept,
}

impl Deadline {
    pub fn new(after: Duration, commits_count: bool) -> Arc<Deadline> {
        Arc::new(Deadline {
            at: Instant::now() + after,
            state: AtomicU8::new(RUNNING),
            committed: AtomicBool::new(false),
            commits_count,
            statements: AtomicU32::new(0),
        })
    }

    /// How many statements the request's work sent to the database (each a round trip), its
    /// transactions' BEGIN and COMMIT included; the pool's check of a connection as it is taken
    /// out is not the request's work, and is not counted.
    pub fn statements(&self) -> u32 {
        self.statements.load(Ordering::Relaxed)
    }

    /// When it passes.
    pub fn at(&self) -> Instant {
        self.at
    }

    /// Time left, or `None` once it has passed or the request was abandoned.
    pub fn remaining(&self) -> Option<Duration> {
        if matches!(
            self.state.load(Ordering::SeqCst),
            ABANDONED | COMMITTING_ABANDONED
        ) {
            return None;
        }
        self.at
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    /// Called by the web layer when the deadline passed: from now on no work of this request
    /// begins to commit.
    pub fn abandon(&self) -> Abandoned {
        let swap = |from, to| {
            self.state
                .compare_exchange(from, to, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        };
        loop {
            match self.state.load(Ordering::SeqCst) {
                RUNNING if swap(RUNNING, ABANDONED) => break,
                ABANDONED => break,
                COMMITTING if swap(COMMITTING, COMMITTING_ABANDONED) => {
                    return Abandoned::MaybeKept;
                }
                COMMITTING_ABANDONED => return Abandoned::MaybeKept,
                _ => continue,
            }
        }
        // Read only now that no commit can begin: one that ended just before the swap counts.
        if self.committed_a_change() {
            Abandoned::MaybeKept
        } else {
            Abandoned::NothingKept
        }
    }

    /// Whether an earlier commit of this request kept a change the caller made.
    fn committed_a_change(&self) -> bool {
        self.commits_count && self.committed.load(Ordering::SeqCst)
    }

    /// The error for work of this request refused because its time is up: `Busy` ("nothing was
    /// changed") unless an earlier commit of the same request kept a change, which makes the
    /// honest answer `Uncertain`.
    pub fn refusal(&self, why: &str) -> super::DbError {
        if self.committed_a_change() {
            super::DbError::Uncertain(format!("{why}, after an earlier commit of the request"))
        } else {
            super::DbError::Busy(why.to_owned())
        }
    }

    /// Called just before COMMIT: false when the request was abandoned or its time is up, and
    /// the work must be rolled back instead.
    pub fn begin_commit(&self) -> bool {
        if Instant::now() >= self.at {
            // Too late to start: make sure the web layer's answer ("nothing was changed") holds.
            let _ =
                self.state
                    .compare_exchange(RUNNING, ABANDONED, Ordering::SeqCst, Ordering::SeqCst);
            return false;
        }
        self.state
            .compare_exchange(RUNNING, COMMITTING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Called when COMMIT has answered (either way).
    pub fn end_commit(&self, committed: bool) {
        if committed {
            self.committed.store(true, Ordering::SeqCst);
        }
        let _ =
            self.state
                .compare_exchange(COMMITTING, RUNNING, Ordering::SeqCst, Ordering::SeqCst);
    }
}

tokio::task_local! {
    /// The deadline of the request whose future is running (set by the web layer).
    static REQUEST: Arc<Deadline>;
}

thread_local! {
    /// The deadline of the request whose database work this blocking thread is doing.
    static WORK: RefCell<Option<Arc<Deadline>>> = const { RefCell::new(None) };
}

/// Counts a statement sent on this thread towards the request whose work it is doing, if any
/// (the connections' instrumentation calls it: `db::CountStatements`).
pub fn count_statement() {
    WORK.with(|w| {
        if let Some(d) = w.borrow().as_ref() {
            d.statements.fetch_add(1, Ordering::Relaxed);
        }
    });
}

/// Runs `future` with `deadline` as its request's deadline.
pub async fn scope<F: std::future::Future>(deadline: Arc<Deadline>, future: F) -> F::Output {
    REQUEST.scope(deadline, future).await
}

/// The deadline of the request this async code serves, if any.
pub fn of_request() -> Option<Arc<Deadline>> {
    REQUEST.try_with(Arc::clone).ok()
}

/// Runs `work` on this thread with `deadline` as the one `db::write` consults.
pub fn with_work<T>(deadline: Option<Arc<Deadline>>, work: impl FnOnce() -> T) -> T {
    struct Reset(Option<Arc<Deadline>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let previous = self.0.take();
            WORK.with(|w| *w.borrow_mut() = previous);
        }
    }
    let previous = WORK.with(|w| std::mem::replace(&mut *w.borrow_mut(), deadline));
    let _reset = Reset(previous);
    work()
}

/// The deadline of the work running on this thread, if any.
pub fn of_work() -> Option<Arc<Deadline>> {
    WORK.with(|w| w.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abandoning_first_stops_the_commit() {
        let d = Deadline::new(Duration::from_secs(10), true);
        assert_eq!(d.abandon(), Abandoned::NothingKept);
        assert!(!d.begin_commit());
        assert!(d.remaining().is_none());
    }

    #[test]
    fn a_commit_under_way_is_reported_as_maybe_kept() {
        let d = Deadline::new(Duration::from_secs(10), true);
        assert!(d.begin_commit());
        assert_eq!(d.abandon(), Abandoned::MaybeKept);
        d.end_commit(true);
        assert!(
            !d.begin_commit(),
            "no further commit after the answer went out"
        );
    }

    #[test]
    fn an_earlier_commit_makes_the_outcome_maybe_kept() {
        let d = Deadline::new(Duration::from_secs(10), true);
        assert!(d.begin_commit());
        d.end_commit(true);
        assert_eq!(d.abandon(), Abandoned::MaybeKept);
    }

    #[test]
    fn a_refusal_after_an_earlier_commit_is_not_nothing_changed() {
        let d = Deadline::new(Duration::from_secs(10), true);
        assert!(matches!(d.refusal("late"), crate::db::DbError::Busy(_)));
        assert!(d.begin_commit());
        d.end_commit(true);
        assert!(matches!(
            d.refusal("late"),
            crate::db::DbError::Uncertain(_)
        ));
    }

    #[test]
    fn a_read_s_bookkeeping_is_not_a_change() {
        let d = Deadline::new(Duration::from_secs(10), false);
        assert!(d.begin_commit());
        d.end_commit(true);
        assert_eq!(d.abandon(), Abandoned::NothingKept);
    }

    #[test]
    fn a_passed_deadline_refuses_to_begin_a_commit() {
        let d = Deadline::new(Duration::from_millis(0), true);
        assert!(!d.begin_commit());
        assert_eq!(d.abandon(), Abandoned::NothingKept);
    }
}
