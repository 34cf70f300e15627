//! Time the run spent training, counted frame to frame on the UI thread (paused time does not
//! count): how long a run has gone unsaved, how long since its last crash copy.

use std::time::{Duration, Instant};

#[derive(Default)]
pub struct TrainingClock {
    elapsed: Duration,
    last_frame: Option<Instant>,
}

impl TrainingClock {
    /// Once per frame: adds the time since the previous frame when the run is training.
    pub fn tick(&mut self, running: bool) {
        let now = Instant::now();
        if let (true, Some(last)) = (running, self.last_frame) {
            self.elapsed += now - last;
        }
        self.last_frame = Some(now);
    }

    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Starts counting from zero again.
    pub fn reset(&mut self) {
        self.elapsed = Duration::ZERO;
    }
}
