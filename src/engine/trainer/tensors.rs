//! Conversions between plain vectors and device tensors, one-hot labels and PacGAN packing.

use burn::tensor::{Device, Tensor, TensorData};

/// A [rows, cols] tensor from row-major values.
pub fn matrix(values: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

/// One-hot rows for `labels` over `classes` classes.
pub fn one_hot(labels: &[u32], classes: usize, device: &Device) -> Tensor<2> {
    let mut values = vec![0.0f32; labels.len() * classes];
    for (row, &label) in labels.iter().enumerate() {
        values[row * classes + (label as usize).min(classes - 1)] = 1.0;
    }
    matrix(values, labels.len(), classes, device)
}

/// PacGAN packing: [batch, len] → [batch / pack, pack · len] (consecutive rows side by side).
pub fn pack(x: Tensor<2>, pack: usize) -> Tensor<2> {
    if pack == 1 {
        return x;
    }
    let [batch, len] = x.dims();
    x.reshape([batch / pack, pack * len])
}

/// The values of a tensor as f32 (one device read).
pub fn read(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap_or_default()
}
