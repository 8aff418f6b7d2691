//! People first: the portal's own steps (the scheduler's jobs) give way to people's requests.
//!
//! Every request a person makes counts itself here while it is served (`serving`, held by the
//! web layer). A write transaction the scheduler starts (`as_background`) first waits until this
//! process serves nobody — at most its `yield_for` — and only then takes its turn: on SQLite the
//! writer lock, on PostgreSQL the row and security-log locks. So under a steady stream of
//! requests the portal still makes progress, one short step per `yield_for` at the least, and
//! between people's requests it runs at once.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// People's requests being served by this process.
static PEOPLE_SERVED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Set while background work runs on this thread: how long each of its writes gives way.
    static BACKGROUND: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// A person's request being served; counted until dropped.
pub struct Serving(());

impl Drop for Serving {
    fn drop(&mut self) {
        PEOPLE_SERVED.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a person's request as being served until the answer is dropped.
pub fn serving() -> Serving {
    PEOPLE_SERVED.fetch_add(1, Ordering::SeqCst);
    Serving(())
}

/// How many people's requests this process is serving (for tests).
pub fn people_served() -> usize {
    PEOPLE_SERVED.load(Ordering::SeqCst)
}

/// Runs `work` as the portal's own (background) work: each write transaction it starts waits up
/// to `yield_for` while people's requests are being served.
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

/// Called by `db::write` before an outermost transaction begins: background work gives way
/// here; a person's write goes on at once. Answers how long it waited.
pub(super) fn give_way() -> Duration {
    let Some(yield_for) = BACKGROUND.with(Cell::get) else {
        return Duration::ZERO;
    };
    let started = Instant::now();
    while PEOPLE_SERVED.load(Ordering::SeqCst) > 0 && started.elapsed() < yield_for {
        std::thread::sleep(Duration::from_micros(200));
    }
    started.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_work_waits_for_people_at_most_its_yield() {
        // A person's request being served on another thread.
        let person = std::thread::spawn(|| {
            let served = serving();
            std::thread::sleep(Duration::from_millis(300));
            drop(served);
        });
        while people_served() == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let waited = as_background(Duration::from_millis(50), give_way);
        assert!(waited >= Duration::from_millis(50), "gave way ({waited:?})");
        assert!(
            waited < Duration::from_millis(250),
            "but not for long ({waited:?})"
        );
        // A person's own write never waits.
        assert_eq!(give_way(), Duration::ZERO);
        person.join().unwrap();
        // Nobody served: the portal's turn comes at once.
        let waited = as_background(Duration::from_secs(5), give_way);
        assert!(waited < Duration::from_millis(100), "{waited:?}");
    }
}
