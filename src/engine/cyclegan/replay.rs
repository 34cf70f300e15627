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

impl ReplayBuffer {
    /// The buffer as bytes (a checkpoint section): capacity, images, values per image (u64
    /// LE each), then the values (f32 LE).
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = self.images.first().map_or(0, Vec::len);
        let mut out = Vec::with_capacity(24 + 4 * len * self.images.len());
        for n in [self.capacity, self.images.len(), len] {
            out.extend_from_slice(&(n as u64).to_le_bytes());
        }
        for v in self.images.iter().flatten() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes) back, for images of `len` values; says what is
    /// wrong otherwise.
    pub fn from_bytes(bytes: &[u8], len: usize) -> Result<Self, String> {
        let word = |i: usize| {
            bytes
                .get(8 * i..8 * i + 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_le_bytes)
                .ok_or("the replay buffer is cut short")
        };
        let (capacity, count, stored) = (word(0)? as usize, word(1)? as usize, word(2)? as usize);
        if count > capacity || capacity > 10_000 || (count > 0 && stored != len) {
            return Err(format!(
                "the replay buffer holds {count} images of {stored} values (capacity {capacity}); this run's images have {len}"
            ));
        }
        let body = &bytes[24..];
        if body.len() != 4 * count * len {
            return Err("the replay buffer's size does not match its header".into());
        }
        let values: Vec<f32> = body
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Self {
            capacity,
            images: values.chunks(len.max(1)).map(<[f32]>::to_vec).collect(),
        })
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
    fn a_buffer_survives_its_bytes_and_bad_bytes_are_refused() {
        let mut buffer = ReplayBuffer::new(3);
        let mut rng = Rng::seeded(1);
        buffer.exchange(&[1.0, 2.0, 3.0, 4.0], 2, &mut rng);
        let bytes = buffer.to_bytes();
        assert_eq!(ReplayBuffer::from_bytes(&bytes, 2), Ok(buffer.clone()));
        assert!(
            ReplayBuffer::from_bytes(&bytes, 3).is_err(),
            "another image size"
        );
        assert!(ReplayBuffer::from_bytes(&bytes[..bytes.len() - 1], 2).is_err());
        assert!(ReplayBuffer::from_bytes(&bytes[..10], 2).is_err());
        let empty = ReplayBuffer::new(50);
        assert_eq!(ReplayBuffer::from_bytes(&empty.to_bytes(), 784), Ok(empty));
    }

    #[test]
    fn a_buffer_of_zero_passes_fakes_through() {
        let mut buffer = ReplayBuffer::new(0);
        let fakes = [1.0, 2.0, 3.0];
        assert_eq!(buffer.exchange(&fakes, 1, &mut Rng::seeded(0)), fakes);
        assert!(buffer.is_empty());
    }
}
