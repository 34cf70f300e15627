//! Caption encoders, trained with the GAN: a bag of words (the mean of the words' embeddings:
//! "3 left of 7" and "7 left of 3" are the same bag) or a small GRU that reads the words in
//! order; both end in a linear layer to the conditioning size. Also StackGAN's conditioning
//! augmentation: the generator's condition is drawn from N(μ, σ²) of the text embedding,
//! with a KL term that keeps that distribution near N(0, I).

use burn::module::{Module, Param};
use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::{Device, Tensor, TensorData};

use super::vocab::TOKENS;
use crate::engine::nn::layers::{Dense, Init, Pass};
use crate::engine::rng::Rng;

/// Which encoder reads the captions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncoderKind {
    /// Mean of the word embeddings: blind to word order.
    Bow,
    /// A GRU over the word embeddings: its last state.
    Gru,
}

/// One GRU cell (PyTorch's gate layout: reset, update, new; reset applied after the hidden
/// product).
#[derive(Module, Debug)]
pub struct GruCell {
    /// Input to the three gates, [embed → 3·hidden].
    pub input: Dense,
    /// Hidden state to the three gates, [hidden → 3·hidden].
    pub hidden: Dense,
    pub size: usize,
}

impl GruCell {
    fn new(rng: &mut Rng, embed: usize, size: usize, device: &Device) -> Self {
        Self {
            input: Dense::new(rng, Init::FanIn, embed, 3 * size, device),
            hidden: Dense::new(rng, Init::FanIn, size, 3 * size, device),
            size,
        }
    }

    /// The next state for input `x` [b, embed] and state `h` [b, hidden].
    fn step(&self, x: Tensor<2>, h: Tensor<2>) -> Tensor<2> {
        let pass = Pass::eval(false);
        let (gx, gh) = (
            self.input.forward(x, &pass),
            self.hidden.forward(h.clone(), &pass),
        );
        let [b, _] = gx.dims();
        let s = self.size;
        let part = |t: &Tensor<2>, i: usize| t.clone().slice([0..b, i * s..(i + 1) * s]);
        let reset = sigmoid(part(&gx, 0).add(part(&gh, 0)));
        let update = sigmoid(part(&gx, 1).add(part(&gh, 1)));
        let new = tanh(part(&gx, 2).add(reset.mul(part(&gh, 2))));
        // h' = (1 − u)·n + u·h = n + u·(h − n)
        new.clone().add(update.mul(h.sub(new)))
    }
}

/// Captions (token lists) → condition vectors [b, out].
#[derive(Module, Debug)]
pub struct CaptionEncoder {
    /// Word embeddings [TOKENS, embed]; padding (token 0) is never looked up.
    pub embedding: Param<Tensor<2>>,
    pub gru: Option<GruCell>,
    pub out: Dense,
}

impl CaptionEncoder {
    /// An encoder of `kind` with `embed`-wide word vectors (and GRU state) and `out` outputs.
    pub fn new(
        rng: &mut Rng,
        kind: EncoderKind,
        embed: usize,
        out: usize,
        device: &Device,
    ) -> Self {
        let values: Vec<f32> = rng.normals(TOKENS * embed);
        let embedding = Param::from_tensor(Tensor::from_data(
            TensorData::new(values, [TOKENS, embed]),
            device,
        ));
        let gru = (kind == EncoderKind::Gru).then(|| GruCell::new(rng, embed, embed, device));
        Self {
            embedding,
            gru,
            out: Dense::new(rng, Init::FanIn, embed, out, device),
        }
    }

    pub fn kind(&self) -> EncoderKind {
        if self.gru.is_some() {
            EncoderKind::Gru
        } else {
            EncoderKind::Bow
        }
    }

    /// Encodes `tokens` (row-major [b × len], 0-padded) of lengths `lens`.
    pub fn forward(&self, tokens: &[usize], lens: &[usize], len: usize) -> Tensor<2> {
        self.read(tokens, lens, len).code
    }

    /// Reads `tokens` word by word: each word's embedding, the encoder's state after it, and
    /// the caption's code.
    pub fn read(&self, tokens: &[usize], lens: &[usize], len: usize) -> WordsRead {
        let b = lens.len();
        let device = self.embedding.val().device();
        let embed = self.embedding.val().dims()[1];
        // Looked up as a one-hot product: padding rows are all zero, so pad embeds to 0.
        let mut one_hot = vec![0.0f32; b * len * TOKENS];
        for (row, &t) in tokens.iter().enumerate() {
            if t > 0 && t < TOKENS {
                one_hot[row * TOKENS + t] = 1.0;
            }
        }
        let one_hot = Tensor::from_data(TensorData::new(one_hot, [b * len, TOKENS]), &device);
        let words: Tensor<3> = one_hot
            .matmul(self.embedding.val())
            .reshape([b, len, embed]);
        let (summary, states) = match &self.gru {
            None => {
                let counts: Vec<f32> = lens.iter().map(|&l| 1.0 / l.max(1) as f32).collect();
                let inverse = Tensor::from_data(TensorData::new(counts, [b, 1]), &device);
                let sum: Tensor<2> = words.clone().sum_dim(1).reshape([b, embed]);
                (sum.mul(inverse), words.clone())
            }
            Some(cell) => {
                let mut h = Tensor::<2>::zeros([b, cell.size], &device);
                let mut states = Vec::with_capacity(len);
                for t in 0..len {
                    let x: Tensor<2> = words.clone().narrow(1, t, 1).reshape([b, embed]);
                    let next = cell.step(x, h.clone());
                    // Past a caption's end its state stays: the last word's state is kept.
                    let mask: Vec<f32> = lens.iter().map(|&l| f32::from(t < l)).collect();
                    let mask = Tensor::from_data(TensorData::new(mask, [b, 1]), &device);
                    h = h.clone().add(next.sub(h).mul(mask));
                    states.push(h.clone().reshape([b, 1, cell.size]));
                }
                let states = if states.is_empty() {
                    Tensor::zeros([b, 0, cell.size], &device)
                } else {
                    Tensor::cat(states, 1)
                };
                (h, states)
            }
        };
        WordsRead {
            words,
            states,
            code: self.out.forward(summary, &Pass::eval(false)),
        }
    }
}

/// What an encoder read of a batch of captions.
pub struct WordsRead {
    /// Each word's embedding [b, len, embed] (padding: zeros).
    pub words: Tensor<3>,
    /// The encoder's state after each word [b, len, embed] (a bag of words: the embeddings).
    pub states: Tensor<3>,
    /// The caption's code [b, out].
    pub code: Tensor<2>,
}

/// StackGAN's conditioning augmentation: text embedding → (μ, log σ) → μ + σ·ε.
#[derive(Module, Debug)]
pub struct CondAugment {
    pub stats: Dense,
    pub size: usize,
}

impl CondAugment {
    pub fn new(rng: &mut Rng, input: usize, size: usize, device: &Device) -> Self {
        Self {
            stats: Dense::new(rng, Init::FanIn, input, 2 * size, device),
            size,
        }
    }

    /// The condition for `text` [b, input] with noise `eps` [b · size] (None: μ itself, for
    /// showing), and the KL divergence from N(0, I) averaged over the batch and units.
    pub fn forward(&self, text: Tensor<2>, eps: Option<Vec<f32>>) -> (Tensor<2>, Tensor<1>) {
        let stats = self.stats.forward(text, &Pass::eval(false));
        let [b, _] = stats.dims();
        let s = self.size;
        let mu = stats.clone().slice([0..b, 0..s]);
        let log_sigma = stats.slice([0..b, s..2 * s]);
        // KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1) − log σ
        let kl = mu
            .clone()
            .powf_scalar(2.0)
            .add(log_sigma.clone().mul_scalar(2.0).exp())
            .sub_scalar(1.0)
            .mul_scalar(0.5)
            .sub(log_sigma.clone())
            .mean();
        let condition = match eps {
            None => mu,
            Some(e) => {
                let e = Tensor::from_data(TensorData::new(e, [b, s]), &mu.device());
                mu.add(log_sigma.exp().mul(e))
            }
        };
        (condition, kl)
    }
}

#[cfg(test)]
mod tests {
    use super::super::scenes::padded;
    use super::super::vocab::parse;
    use super::*;

    fn encode(enc: &CaptionEncoder, captions: &[&str]) -> Vec<Vec<f32>> {
        let lists: Vec<Vec<usize>> = captions
            .iter()
            .map(|c| parse(c).expect("parsed").tokens)
            .collect();
        let (tokens, lens, len) = padded(&lists);
        let out = enc.forward(&tokens, &lens, len);
        let [b, d] = out.dims();
        let v = out.into_data().try_to_vec::<f32>().expect("f32");
        (0..b).map(|i| v[i * d..(i + 1) * d].to_vec()).collect()
    }

    fn distance(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
    }

    #[test]
    fn a_bag_of_words_is_blind_to_word_order_and_a_gru_is_not() {
        let device = Device::flex();
        let order = ["a 3 to the left of a 7", "a 7 to the left of a 3"];
        let bow = CaptionEncoder::new(&mut Rng::seeded(1), EncoderKind::Bow, 16, 8, &device);
        let e = encode(&bow, &order);
        assert!(distance(&e[0], &e[1]) < 1e-5, "same words, same bag");
        let gru = CaptionEncoder::new(&mut Rng::seeded(1), EncoderKind::Gru, 16, 8, &device);
        let e = encode(&gru, &order);
        assert!(distance(&e[0], &e[1]) > 1e-2, "the GRU reads the order");
        // Different words differ for both.
        let words = ["a small 3 at the top", "a large 3 at the top"];
        assert!(distance(&encode(&bow, &words)[0], &encode(&bow, &words)[1]) > 1e-2);
    }

    #[test]
    fn padding_does_not_change_a_captions_code() {
        let device = Device::flex();
        for kind in [EncoderKind::Bow, EncoderKind::Gru] {
            let enc = CaptionEncoder::new(&mut Rng::seeded(2), kind, 12, 6, &device);
            let alone = encode(&enc, &["a 7 in the centre"]);
            let padded = encode(
                &enc,
                &["a 7 in the centre", "a small thick 2 at the top left"],
            );
            assert!(distance(&alone[0], &padded[0]) < 1e-5, "{kind:?}");
        }
    }

    #[test]
    fn conditioning_augmentation_draws_around_mu_and_its_kl_is_zero_at_the_prior() {
        let device = Device::flex();
        let ca = CondAugment::new(&mut Rng::seeded(3), 4, 3, &device);
        let text = Tensor::from_data(TensorData::new(vec![0.5f32; 8], [2, 4]), &device);
        let (mu, kl) = ca.forward(text.clone(), None);
        let (drawn, _) = ca.forward(text, Some(vec![0.0; 6]));
        assert_eq!(mu.dims(), [2, 3]);
        assert_eq!(mu.to_data(), drawn.to_data(), "ε = 0 gives μ");
        assert!(kl.into_scalar::<f32>() > 0.0);
        // With μ = 0 and log σ = 0 (zero weights and biases) the KL vanishes.
        let zero = CondAugment {
            stats: Dense {
                weight: Param::from_tensor(Tensor::zeros([4, 6], &device)),
                bias: Param::from_tensor(Tensor::zeros([6], &device)),
                sn_u: ca.stats.sn_u.clone(),
            },
            size: 3,
        };
        let text = Tensor::from_data(TensorData::new(vec![1.0f32; 4], [1, 4]), &device);
        let (_, kl) = zero.forward(text, Some(vec![0.3, -1.0, 2.0]));
        assert!(kl.into_scalar::<f32>().abs() < 1e-6);
    }
}
