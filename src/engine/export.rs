//! Exports of what a run made: sample grids and scatter plots (PNG), samples as CSV (points)
//! or IDX / a PNG folder (images, e.g. for data augmentation), metrics as CSV, and G's weights
//! as safetensors. Every file is written atomically.

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;

use super::checkpoint::write_atomically;
use super::data::images::to_bytes;
use super::plane_image::{PlaneScene, render};
use super::trainer::protocol::{MetricValue, PlaneBounds, Samples};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: {message}")]
    Unsupported { path: PathBuf, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        cause: source,
    }
}

fn encode_png(width: u32, height: u32, channels: usize, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let color = if channels == 1 {
        image::ExtendedColorType::L8
    } else {
        image::ExtendedColorType::Rgb8
    };
    let encoder = image::codecs::png::PngEncoder::new(&mut out);
    // Encoding into memory cannot fail for a buffer of the right size.
    let _ = image::ImageEncoder::write_image(encoder, pixels, width, height, color);
    out
}

/// Writes an RGB picture as a PNG, atomically.
pub fn write_rgb_png(
    width: usize,
    height: usize,
    rgb: &[u8],
    path: &Path,
) -> Result<(), ExportError> {
    write_atomically(path, &encode_png(width as u32, height as u32, 3, rgb)).map_err(io(path))
}

/// Columns of a sample grid: one row per class for a conditional model's grid (classes
/// grouped, as `grid_classes` makes them), else as square as possible.
pub fn grid_columns(samples: &Samples) -> usize {
    let n = samples.count();
    match samples.classes.iter().max() {
        Some(&last) if !samples.classes.is_empty() => (n / (last as usize + 1)).max(1),
        _ => (n as f64).sqrt().ceil() as usize,
    }
}

/// Images laid out in a grid (one pixel gap), as interleaved bytes: (width, height, pixels).
pub fn grid_pixels(samples: &Samples, columns: usize) -> (usize, usize, Vec<u8>) {
    let (c, s) = (samples.channels.max(1), samples.side);
    let n = samples.count();
    let cols = columns.clamp(1, n.max(1));
    let rows = n.div_ceil(cols);
    let (w, h) = (cols * (s + 1) + 1, rows * (s + 1) + 1);
    let mut out = vec![40u8; w * h * c];
    let bytes = to_bytes(&samples.values);
    for i in 0..n {
        let (x0, y0) = ((i % cols) * (s + 1) + 1, (i / cols) * (s + 1) + 1);
        let img = &bytes[i * samples.len..(i + 1) * samples.len];
        for ch in 0..c {
            for y in 0..s {
                for x in 0..s {
                    out[((y0 + y) * w + x0 + x) * c + ch] = img[ch * s * s + y * s + x];
                }
            }
        }
    }
    (w, h, out)
}

/// The square around 2D samples and real points that a picture of them frames (at least
/// ±1, at most ±50; non-finite values ignored).
pub fn points_bounds(fake: &[f32], real: &[f32]) -> PlaneBounds {
    let extent = fake
        .iter()
        .chain(real)
        .filter(|v| v.is_finite())
        .fold(1.0f32, |m, v| m.max(v.abs() * 1.1))
        .min(50.0);
    PlaneBounds::square(extent)
}

/// Size of a picture of 2D samples.
const POINTS_PX: (usize, usize) = (800, 700);

/// A picture of 2D samples (orange) over real points (grey) with axes, and D's field behind
/// them when given (`resolution`² values over `bounds`, as [`points_bounds`] frames them).
pub fn write_points_png(
    samples: &Samples,
    real_points: &[f32],
    field: Option<(&[f32], usize)>,
    title: &str,
    path: &Path,
) -> Result<(), ExportError> {
    let bounds = points_bounds(&samples.values, real_points);
    let scene = PlaneScene {
        bounds,
        field: field.map(|(values, resolution)| (values, resolution, bounds)),
        real: real_points,
        generated: &samples.values,
        modes: &[],
        mode_radius: 0.0,
        title: title.to_string(),
    };
    let (w, h) = POINTS_PX;
    write_rgb_png(w, h, &render(&scene, w, h), path)
}

/// A PNG of the samples: a grid for images, a scatter plot with axes for points.
pub fn write_png(samples: &Samples, real_points: &[f32], path: &Path) -> Result<(), ExportError> {
    if samples.side == 0 {
        let title = if real_points.is_empty() {
            "generated samples"
        } else {
            "generated (orange) and real (grey) samples"
        };
        return write_points_png(samples, real_points, None, title, path);
    }
    let (w, h, px) = grid_pixels(samples, grid_columns(samples));
    let png = encode_png(w as u32, h as u32, samples.channels, &px);
    write_atomically(path, &png).map_err(io(path))
}

/// An image grid of `columns` per row (a row per caption, say) as a PNG, atomically.
pub fn write_png_rows(samples: &Samples, columns: usize, path: &Path) -> Result<(), ExportError> {
    let (w, h, px) = grid_pixels(samples, columns.max(1));
    let png = encode_png(w as u32, h as u32, samples.channels, &px);
    write_atomically(path, &png).map_err(io(path))
}

/// Text to a file, atomically.
pub fn write_text(text: &str, path: &Path) -> Result<(), ExportError> {
    write_atomically(path, text.as_bytes()).map_err(io(path))
}

/// Samples to a file chosen by extension: `.csv` (points), `.idx` (images, IDX bytes),
/// `.png` (grid or scatter), or a directory (one PNG per image).
pub fn write_samples(samples: &Samples, path: &Path) -> Result<(), ExportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let images = samples.side > 0;
    match ext.as_str() {
        "csv" if !images => {
            let mut text = String::from("x,y\n");
            for p in samples.values.chunks_exact(2) {
                text.push_str(&format!("{},{}\n", p[0], p[1]));
            }
            write_atomically(path, text.as_bytes()).map_err(io(path))
        }
        "idx" if images && samples.channels == 1 => {
            let mut out = Vec::with_capacity(16 + samples.values.len());
            out.extend_from_slice(&0x0000_0803u32.to_be_bytes());
            for d in [samples.count(), samples.side, samples.side] {
                out.extend_from_slice(&(d as u32).to_be_bytes());
            }
            out.extend(to_bytes(&samples.values));
            write_atomically(path, &out).map_err(io(path))
        }
        "png" => write_png(samples, &[], path),
        "" if images => write_png_folder(samples, path),
        _ => Err(ExportError::Unsupported {
            path: path.to_path_buf(),
            message: if images {
                "images export to .idx (grey only), .png (a grid) or a folder of PNGs".into()
            } else {
                "2D points export to .csv or .png (a scatter plot)".into()
            },
        }),
    }
}

fn write_png_folder(samples: &Samples, dir: &Path) -> Result<(), ExportError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for i in 0..samples.count() {
        let name = match samples.classes.get(i) {
            Some(k) => format!("{i:05}_class{k}.png"),
            None => format!("{i:05}.png"),
        };
        write_one_png(samples, i, &dir.join(name))?;
    }
    Ok(())
}

/// Image `i` of `samples` alone, at its own size, as a PNG (atomically).
pub fn write_one_png(samples: &Samples, i: usize, path: &Path) -> Result<(), ExportError> {
    let (c, s) = (samples.channels.max(1), samples.side);
    let values = &samples.values[i * samples.len..(i + 1) * samples.len];
    let img = to_bytes(values);
    let interleaved: Vec<u8> = (0..s * s)
        .flat_map(|p| (0..c).map(|ch| img[ch * s * s + p]).collect::<Vec<_>>())
        .collect();
    write_atomically(path, &encode_png(s as u32, s as u32, c, &interleaved)).map_err(io(path))
}

/// Metric history as `step,name,value` rows.
pub fn write_metrics_csv(values: &[MetricValue], path: &Path) -> Result<(), ExportError> {
    let mut text = String::from("step,metric,value\n");
    for v in values {
        text.push_str(&format!("{},{},{}\n", v.step, v.name, v.value));
    }
    write_atomically(path, text.as_bytes()).map_err(io(path))
}

struct Weights {
    path: Vec<String>,
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

impl ModuleVisitor for Weights {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let dims = t.dims().to_vec();
        let values = t.into_data().try_to_vec::<f32>().unwrap_or_default();
        let mut name = self.path.join(".");
        while self.tensors.iter().any(|(n, _, _)| *n == name) {
            name.push('_');
        }
        self.tensors.push((name, dims, values));
    }
}

/// Writes a module's tensors (weights and running statistics) as a safetensors file (F32),
/// named by module path, for use outside ganvas (e.g. `safetensors.torch.load_file`).
pub fn write_safetensors<M: Module>(module: &M, path: &Path) -> Result<(), ExportError> {
    let mut w = Weights {
        path: Vec::new(),
        tensors: Vec::new(),
    };
    module.visit(&mut w);
    let mut header = String::from("{");
    let mut offset = 0usize;
    for (i, (name, dims, values)) in w.tensors.iter().enumerate() {
        let end = offset + values.len() * 4;
        let shape: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
        if i > 0 {
            header.push(',');
        }
        header.push_str(&format!(
            "\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{}],\"data_offsets\":[{offset},{end}]}}",
            shape.join(",")
        ));
        offset = end;
    }
    header.push('}');
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for (_, _, values) in &w.tensors {
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    write_atomically(path, &out).map_err(io(path))
}
