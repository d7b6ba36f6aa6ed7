//! Simulated time. The clock never runs ahead of real time: a timestamp the simulator sends
//! (`LastPingDateTime`, `RequestedDateTime`, `OperationEndTime`, ...) is never later than the
//! HTTP `Date` of the response that carries it, as with AWS. `--time-scale X` above 1 makes
//! the Run Command lifecycle X times faster by shortening its durations ([`SimClock::speedup`]),
//! not by moving the clock; below 1 the clock itself slows down (0 freezes it: the golden
//! files and screenshots are rendered from a frozen world).

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Debug)]
pub struct SimClock {
    epoch: DateTime<Utc>,
    started: Instant,
    scale: f64,
}

impl SimClock {
    pub fn new(scale: f64) -> Self {
        SimClock {
            epoch: Utc::now(),
            started: Instant::now(),
            scale,
        }
    }

    /// A clock that starts at a fixed instant (deterministic tests).
    pub fn starting_at(epoch: DateTime<Utc>, scale: f64) -> Self {
        SimClock {
            epoch,
            started: Instant::now(),
            scale,
        }
    }

    /// When the world was generated (simulated time zero).
    pub fn epoch(&self) -> DateTime<Utc> {
        self.epoch
    }

    /// `--time-scale` as given.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// How much faster than real time the Run Command lifecycle runs: its durations are
    /// divided by this (1 when the scale is 1 or less).
    pub fn speedup(&self) -> f64 {
        if self.scale.is_finite() && self.scale > 1.0 {
            self.scale
        } else {
            1.0
        }
    }

    /// Simulated seconds per real second of the clock itself: at most 1.
    fn rate(&self) -> f64 {
        self.scale.clamp(0.0, 1.0)
    }

    /// Simulated now (never ahead of real time when the epoch is the real start time).
    pub fn now(&self) -> DateTime<Utc> {
        self.epoch + Duration::microseconds((self.elapsed_secs() * 1e6) as i64)
    }

    /// Simulated seconds elapsed since the epoch.
    pub fn elapsed_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * self.rate()
    }
}

impl SimClock {
    /// The clock a simulator with this config runs on.
    pub fn for_config(cfg: &super::SimConfig) -> Self {
        match cfg.epoch {
            Some(e) => SimClock::starting_at(e, cfg.time_scale),
            None => SimClock::new(cfg.time_scale),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_scale_speeds_up_durations_not_the_clock() {
        let c = SimClock::new(1000.0);
        assert_eq!(c.speedup(), 1000.0);
        std::thread::sleep(std::time::Duration::from_millis(30));
        // real time passed ~30 ms: the clock shows about that, not 30 s
        assert!(c.now() <= Utc::now());
        assert!(c.elapsed_secs() < 1.0);
        let slow = SimClock::new(0.5);
        assert_eq!(slow.speedup(), 1.0);
        let frozen = SimClock::new(0.0);
        assert_eq!(frozen.elapsed_secs(), 0.0);
    }
}
