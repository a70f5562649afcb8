//! The handlers' clock: the system's in Lambda, a settable one in tests (the trigger
//! semantics' `within` is measured against it).

use dpc_model::Timestamp;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Tells the time.
pub trait Clock: Send + Sync {
    /// Now, to the second.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        system_now()
    }
}

/// The system's time as a [`Timestamp`].
pub fn system_now() -> Timestamp {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    // Between 1970 and 9999 for any machine this runs on.
    Timestamp::from_unix_seconds(secs).unwrap_or_else(|_| epoch())
}

fn epoch() -> Timestamp {
    // 0 is always in range; the fallback keeps this free of panics.
    Timestamp::from_unix_seconds(0).unwrap_or_else(|_| epoch())
}

/// A clock that says what it is told (tests, replays).
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    /// A clock standing at `t`.
    pub fn new(t: Timestamp) -> FixedClock {
        FixedClock(Mutex::new(t))
    }

    /// Moves the clock to `t`.
    pub fn set(&self, t: Timestamp) {
        if let Ok(mut now) = self.0.lock() {
            *now = t;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0.lock().map_or_else(|_| system_now(), |t| *t)
    }
}
