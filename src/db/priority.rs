//! People first: the portal's own steps (the scheduler's jobs) give way to people's requests.
//!
//! Every request a person makes counts itself here while it is served (`serving`, held by the
//! web layer). Before each of its steps the scheduler waits until this process serves nobody — at
//! most its `yield_for` — and only then takes a connection and its turn: on SQLite the writer
//! lock, on PostgreSQL the row and security-log locks. So under a steady stream of requests the
//! portal still makes progress, one short step per `yield_for` at the least, and between
//! people's requests it runs at once. It waits before taking a connection, so that a waiting
//! step never holds one that a person's request could use.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// People's requests being served by this process.
static PEOPLE_SERVED: AtomicUsize = AtomicUsize::new(0);

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

/// How many people's requests this process is serving.
pub fn people_served() -> usize {
    PEOPLE_SERVED.load(Ordering::SeqCst)
}

/// Waits until this process serves nobody, at most `yield_for`; answers how long it waited.
pub async fn give_way(yield_for: Duration) -> Duration {
    let started = Instant::now();
    while people_served() > 0 && started.elapsed() < yield_for {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    started.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_portal_waits_for_people_at_most_its_yield() {
        // Nobody served: the portal's turn comes at once.
        assert!(give_way(Duration::from_secs(5)).await < Duration::from_millis(100));
        // A person's request being served: the portal waits, but no longer than its yield.
        let served = serving();
        let waited = give_way(Duration::from_millis(50)).await;
        assert!(waited >= Duration::from_millis(50), "gave way ({waited:?})");
        assert!(
            waited < Duration::from_millis(1000),
            "but not for long ({waited:?})"
        );
        // The request answered: the portal goes on as soon as it notices.
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            drop(served);
        });
        let waited = give_way(Duration::from_secs(5)).await;
        assert!(waited < Duration::from_secs(2), "{waited:?}");
        release.await.unwrap();
    }
}
