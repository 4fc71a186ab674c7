//! The time the link's timers run on.
//!
//! On a real port that is the wall clock. A co-simulated board runs slower
//! than real time, so there the driver's retransmission, inter-byte and
//! no-progress timers must follow the simulated line instead: timers in
//! wall-clock time expire while a frame is still crossing the simulated
//! line, and every needless resend costs simulated line time. The
//! co-simulation passes its own [`Clock`] in [`Options::clock`](crate::Options).

use std::fmt::Debug;
use std::time::{Duration, Instant};

/// A source of time for the link's timers.
pub trait Clock: Debug + Send + Sync {
    /// Time since a fixed origin; it never goes backwards.
    fn now(&self) -> Duration;
}

/// The wall clock (monotonic), from when it was made.
#[derive(Clone, Copy, Debug)]
pub struct WallClock {
    origin: Instant,
}

impl WallClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        WallClock {
            origin: Instant::now(),
        }
    }
}

impl Default for WallClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for WallClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}
