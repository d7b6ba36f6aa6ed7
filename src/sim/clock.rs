//! Simulated time: starts at the real "now" and runs `time_scale` times faster.

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

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Simulated now.
    pub fn now(&self) -> DateTime<Utc> {
        let real = self.started.elapsed().as_secs_f64() * self.scale;
        self.epoch + Duration::microseconds((real * 1e6) as i64)
    }

    /// Simulated seconds elapsed since the epoch.
    pub fn elapsed_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * self.scale
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
