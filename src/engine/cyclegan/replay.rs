//! The replay buffer of past translations (Shrivastava et al. 2017, as CycleGAN uses it): the
//! critics see a mix of this step's fakes and older ones, so that the generators cannot win
//! by oscillating between modes the critic has just forgotten.

use crate::engine::rng::Rng;

/// Up to `capacity` past fake images, as plain values.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayBuffer {
    capacity: usize,
    images: Vec<Vec<f32>>,
}

impl ReplayBuffer {
    /// A buffer of `capacity` images (0: no buffer, fakes pass straight through).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            images: Vec::with_capacity(capacity),
        }
    }

    /// Images stored.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// What the critic sees for this step's `fakes` (`len` values each): while the buffer
    /// fills, each fake is stored and shown; once full, each fake is shown with probability ½,
    /// else a random stored one is shown instead and the fake takes its place.
    pub fn exchange(&mut self, fakes: &[f32], len: usize, rng: &mut Rng) -> Vec<f32> {
        if self.capacity == 0 || len == 0 {
            return fakes.to_vec();
        }
        let mut out = Vec::with_capacity(fakes.len());
        for fake in fakes.chunks_exact(len) {
            if self.images.len() < self.capacity {
                self.images.push(fake.to_vec());
                out.extend_from_slice(fake);
            } else if rng.uniform() < 0.5 {
                let i = rng.below(self.capacity);
                out.extend_from_slice(&self.images[i]);
                self.images[i] = fake.to_vec();
            } else {
                out.extend_from_slice(fake);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_fills_then_swaps_about_half_of_the_fakes() {
        let mut buffer = ReplayBuffer::new(4);
        let mut rng = Rng::seeded(3);
        // Filling: every fake is stored and passed through.
        let first: Vec<f32> = (0..8).map(|v| v as f32).collect();
        assert_eq!(buffer.exchange(&first, 2, &mut rng), first);
        assert_eq!(buffer.len(), 4);
        // Full: of 1,000 new fakes (values ≥ 100), about half come back as older images.
        let mut older = 0;
        for i in 0..1000 {
            let fake = [100.0 + i as f32, 0.0];
            let shown = buffer.exchange(&fake, 2, &mut rng);
            assert_eq!(shown.len(), 2);
            if shown[0] != fake[0] {
                older += 1;
                assert!(shown[0] < fake[0], "only an image seen before comes back");
            }
        }
        assert!((430..570).contains(&older), "{older} of 1000 swapped");
        assert_eq!(buffer.len(), 4, "the buffer never grows past its capacity");
    }

    #[test]
    fn a_buffer_of_zero_passes_fakes_through() {
        let mut buffer = ReplayBuffer::new(0);
        let fakes = [1.0, 2.0, 3.0];
        assert_eq!(buffer.exchange(&fakes, 1, &mut Rng::seeded(0)), fakes);
        assert!(buffer.is_empty());
    }
}
