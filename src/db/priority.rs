//! People first: the portal's own steps (the scheduler's jobs) give way to people's writes.
//!
//! Every write transaction a person's request starts counts itself here from before it waits for
//! the database until it commits. A write the scheduler starts (`as_background`) first waits until
//! no person's write is under way in this process — at most its `yield_for` — and only then takes
//! its turn: on SQLite the writer lock, on PostgreSQL the row and security-log locks. So under a
//! steady stream of people's writes the portal still makes progress, one short step per
//! `yield_for` at the least, and between bursts of people's work it runs at once.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// People's write transactions waiting for or holding the database, in this process.
static PEOPLE_WRITING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Set while background work runs on this thread: how long each of its writes gives way.
    static BACKGROUND: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// Runs `work` as the portal's own (background) work: each write transaction it starts waits up
/// to `yield_for` while people's writes are under way.
pub fn as_background<T>(yield_for: Duration, work: impl FnOnce() -> T) -> T {
    struct Restore(Option<Duration>);
    impl Drop for Restore {
        fn drop(&mut self) {
            BACKGROUND.with(|b| b.set(self.0));
        }
    }
    let _restore = Restore(BACKGROUND.with(|b| b.replace(Some(yield_for))));
    work()
}

/// Whose turn a write transaction is taking; a person's is counted until dropped.
pub(super) enum Turn {
    Person(PersonWriting),
    Background,
}

pub(super) struct PersonWriting(());

impl Drop for PersonWriting {
    fn drop(&mut self) {
        PEOPLE_WRITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Called by `db::write` before an outermost transaction begins.
pub(super) fn take_turn() -> Turn {
    match BACKGROUND.with(Cell::get) {
        None => {
            PEOPLE_WRITING.fetch_add(1, Ordering::SeqCst);
            Turn::Person(PersonWriting(()))
        }
        Some(yield_for) => {
            let until = Instant::now() + yield_for;
            while PEOPLE_WRITING.load(Ordering::SeqCst) > 0 && Instant::now() < until {
                std::thread::sleep(Duration::from_micros(200));
            }
            Turn::Background
        }
    }
}

/// How many of people's writes are under way in this process (for tests and the operator log).
pub fn people_writing() -> usize {
    PEOPLE_WRITING.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_work_waits_for_people_at_most_its_yield() {
        // A person's write under way on another thread.
        let person = std::thread::spawn(|| {
            let turn = take_turn();
            std::thread::sleep(Duration::from_millis(300));
            drop(turn);
        });
        while people_writing() == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let started = Instant::now();
        let turn = as_background(Duration::from_millis(50), take_turn);
        let waited = started.elapsed();
        assert!(matches!(turn, Turn::Background));
        assert!(waited >= Duration::from_millis(50), "gave way ({waited:?})");
        assert!(
            waited < Duration::from_millis(250),
            "but not for long ({waited:?})"
        );
        person.join().unwrap();
        // Nobody writing: the portal's turn comes at once, and the thread is a person's again.
        let started = Instant::now();
        let turn = as_background(Duration::from_secs(5), take_turn);
        assert!(matches!(turn, Turn::Background));
        assert!(started.elapsed() < Duration::from_millis(100));
        assert!(matches!(take_turn(), Turn::Person(_)));
    }
}
