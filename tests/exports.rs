//! Exports: sample files in every format (IDX loads back as data), metrics CSV, safetensors.

use ganvas::engine::config::DataConfig;
use ganvas::engine::data;
use ganvas::engine::export::{self, ExportError};
use ganvas::engine::trainer::protocol::{MetricValue, Samples};

use crate::util::temp_dir;

fn images(n: usize) -> Samples {
    let values = (0..n * 16).map(|i| (i % 7) as f32 / 3.0 - 1.0).collect();
    Samples {
        values,
        len: 16,
        channels: 1,
        side: 4,
        classes: (0..n as u32).collect(),
    }
}

#[test]
fn idx_export_loads_back_as_a_dataset() {
    let dir = temp_dir("export-idx");
    let s = images(5);
    export::write_samples(&s, &dir.join("gen.idx")).expect("idx");
    let back = data::load(&DataConfig::Idx {
        images: dir.join("gen.idx"),
        labels: None,
        transpose: false,
    })
    .expect("loads");
    let set = back.dataset.images().expect("images").clone();
    assert_eq!((set.len(), set.height), (5, 4));
    let again = set.gather(&(0..5).collect::<Vec<_>>()).pixels;
    for (a, b) in again.iter().zip(&s.values) {
        assert!((a - b.clamp(-1.0, 1.0)).abs() <= 1.0 / 127.5, "{a} vs {b}");
    }
}

#[test]
fn points_csv_png_and_folder_exports() {
    let dir = temp_dir("export-misc");
    let pts = Samples {
        values: vec![0.5, -1.0, 2.0, 3.0],
        len: 2,
        channels: 0,
        side: 0,
        classes: vec![],
    };
    export::write_samples(&pts, &dir.join("p.csv")).expect("csv");
    assert_eq!(
        std::fs::read_to_string(dir.join("p.csv")).expect("read"),
        "x,y\n0.5,-1\n2,3\n"
    );
    export::write_samples(&pts, &dir.join("p.png")).expect("scatter");
    let scatter = image::open(dir.join("p.png")).expect("png").to_rgb8();
    assert_eq!(scatter.dimensions(), (800, 700), "a picture with axes");
    let orange = scatter.pixels().filter(|p| p.0 == [230, 110, 20]).count();
    assert!(orange >= 2 * 13, "both points drawn as dots: {orange} px");
    let err = export::write_samples(&pts, &dir.join("p.idx")).expect_err("points are not images");
    assert!(matches!(err, ExportError::Unsupported { .. }), "{err}");
    // Unlabelled: as square as possible (2×2 tiles of 4 px, 1 px gaps).
    let mut square = images(4);
    square.classes.clear();
    export::write_samples(&square, &dir.join("grid.png")).expect("grid");
    let grid = image::open(dir.join("grid.png")).expect("png");
    assert_eq!((grid.width(), grid.height()), (11, 11));
    // A conditional grid: one row per class (classes 0, 0, 1, 1 → 2 rows of 2; 0..4 → 4 rows).
    let mut rows = images(4);
    rows.classes = vec![0, 0, 1, 1];
    export::write_samples(&rows, &dir.join("rows.png")).expect("grid");
    assert_eq!(image::open(dir.join("rows.png")).expect("png").width(), 11);
    export::write_samples(&images(4), &dir.join("col.png")).expect("grid");
    let col = image::open(dir.join("col.png")).expect("png");
    assert_eq!((col.width(), col.height()), (6, 21));
    export::write_samples(&images(3), &dir.join("folder")).expect("folder");
    let mut names: Vec<String> = std::fs::read_dir(dir.join("folder"))
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["00000_class0.png", "00001_class1.png", "00002_class2.png"]
    );
}

#[test]
fn metrics_csv_and_safetensors() {
    let dir = temp_dir("export-st");
    let m = vec![MetricValue {
        name: "modes_covered".into(),
        step: 250,
        value: 7.0,
    }];
    export::write_metrics_csv(&m, &dir.join("m.csv")).expect("csv");
    assert_eq!(
        std::fs::read_to_string(dir.join("m.csv")).expect("read"),
        "step,metric,value\n250,modes_covered,7\n"
    );
    let layer = ganvas::engine::nn::layers::Dense::new(
        &mut ganvas::engine::rng::Rng::seeded(1),
        ganvas::engine::nn::layers::Init::FanIn,
        3,
        2,
        &burn::tensor::Device::flex(),
    );
    export::write_safetensors(&layer, &dir.join("w.safetensors")).expect("safetensors");
    let bytes = std::fs::read(dir.join("w.safetensors")).expect("read");
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).expect("utf-8 header");
    assert!(
        header
            .starts_with("{\"weight\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]}"),
        "{header}"
    );
    assert!(
        header.contains("\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}"),
        "{header}"
    );
    assert_eq!(n % 8, 0);
    // weight (6) + bias (2) + spectral-norm vector (2) floats follow the header.
    assert_eq!(bytes.len(), 8 + n + 4 * (6 + 2 + 2));
}

#[test]
fn timelapse_gif_has_a_frame_per_snapshot_and_loops() {
    use image::AnimationDecoder;
    let dir = temp_dir("export-gif");
    let unlabelled = Samples {
        classes: vec![],
        ..images(4)
    };
    let snapshots: Vec<(u64, Samples)> = (1..=3).map(|k| (k * 10, unlabelled.clone())).collect();
    let path = dir.join("t.gif");
    let n =
        ganvas::engine::timelapse::write_timelapse_gif(&snapshots, &[], &path, 80).expect("writes");
    assert_eq!(n, 3);
    let file = std::io::BufReader::new(std::fs::File::open(&path).expect("exists"));
    let frames = image::codecs::gif::GifDecoder::new(file)
        .expect("a GIF")
        .into_frames()
        .collect_frames()
        .expect("frames decode");
    assert_eq!(frames.len(), 3);
    // A 2x2 grid of 4-px images with 1-px borders (11 px), doubled, plus the 4-px step bar.
    assert_eq!(frames[0].buffer().dimensions(), (22, 26));
    // The bar fills with the run: a third of the width on the first frame, all on the last.
    let bar = |f: &image::Frame, x: u32| f.buffer().get_pixel(x, 24)[0];
    assert_eq!(bar(&frames[0], 21), 0);
    assert!(bar(&frames[2], 21) > 200);
    // 2D points use a fixed scatter frame; nothing at all is an error, not an empty file.
    let pts = Samples {
        values: vec![0.5, -0.5, 0.1, 0.2],
        len: 2,
        channels: 0,
        side: 0,
        classes: vec![],
    };
    let n = ganvas::engine::timelapse::write_timelapse_gif(&[(1, pts)], &[0.0, 0.0], &path, 50)
        .expect("points");
    assert_eq!(n, 1);
    let err = ganvas::engine::timelapse::write_timelapse_gif(&[], &[], &dir.join("none.gif"), 80);
    assert!(matches!(err, Err(ExportError::Unsupported { .. })));
    assert!(!dir.join("none.gif").exists());
}

/// Spread of 2-D samples around their mean.
fn spread(values: &[f32]) -> f32 {
    let n = values.len() as f32 / 2.0;
    let mean: Vec<f32> = (0..2)
        .map(|k| values.iter().skip(k).step_by(2).sum::<f32>() / n)
        .collect();
    let ss: f32 = values
        .chunks_exact(2)
        .map(|p| (p[0] - mean[0]).powi(2) + (p[1] - mean[1]).powi(2))
        .sum();
    (ss / n).sqrt()
}

#[test]
fn truncation_narrows_samples_and_keeps_the_snapshot_grid_fixed() {
    use ganvas::engine::preset::Preset;
    use ganvas::engine::trainer::session::Session;
    let mut config = Preset::load(&crate::util::repo().join("presets/ring8-vanilla.toml"))
        .expect("loads")
        .config();
    let session = Session::new(config.clone(), crate::util::cpu()).expect("builds");
    let wide = spread(&session.sample_n(2_000, 5).values);

    config.tricks.truncation = Some(0.2);
    let session = Session::new(config.clone(), crate::util::cpu()).expect("builds");
    let narrow = spread(&session.sample_n(2_000, 5).values);
    assert!(narrow < 0.5 * wide, "truncated spread {narrow} vs {wide}");
    assert_eq!(
        session.snapshot().values,
        session.snapshot().values,
        "the grid's noise is redrawn the same way each time"
    );

    config.tricks.truncation = Some(0.0);
    let err = config.validate().expect_err("a zero bound");
    assert_eq!(err.field, "tricks.truncation");
}

#[test]
fn a_uniform_prior_draws_every_latent_inside_the_cube() {
    use ganvas::engine::config::LatentPrior;
    use ganvas::engine::preset::Preset;
    use ganvas::engine::trainer::session::Session;
    let text = std::fs::read_to_string(crate::util::repo().join("presets/ring8-vanilla.toml"))
        .expect("reads")
        .replace(
            "latent_dim = 2",
            "latent_dim = 2\nlatent_prior = \"uniform\"",
        );
    let dir = temp_dir("uniform-prior");
    std::fs::write(dir.join("p.toml"), text).expect("writes");
    let config = Preset::load(&dir.join("p.toml")).expect("loads").config();
    assert_eq!(config.model.latent_prior, LatentPrior::Uniform);
    let session = Session::new(config, crate::util::cpu()).expect("builds");
    assert!(session.fixed_z.iter().all(|v| v.abs() <= 1.0));
    let spread_of_z =
        session.fixed_z.iter().map(|v| v * v).sum::<f32>() / session.fixed_z.len() as f32;
    assert!(
        (spread_of_z - 1.0 / 3.0).abs() < 0.1,
        "E[z²] of U(-1,1) is 1/3: {spread_of_z}"
    );
}

#[test]
fn a_mixture_prior_draws_tight_blobs_around_as_many_centres_as_asked() {
    use ganvas::engine::config::LatentPrior;
    use ganvas::engine::latent::LatentSampler;
    use ganvas::engine::preset::Preset;
    use ganvas::engine::trainer::session::Session;
    let text = std::fs::read_to_string(crate::util::repo().join("presets/ring8-vanilla.toml"))
        .expect("reads")
        .replace(
            "latent_dim = 2",
            "latent_dim = 8\nlatent_prior = \"mixture\"\nlatent_components = 3",
        );
    let dir = temp_dir("mixture-prior");
    std::fs::write(dir.join("p.toml"), text).expect("writes");
    let mut config = Preset::load(&dir.join("p.toml")).expect("loads").config();
    assert_eq!(config.model.latent_prior, LatentPrior::Mixture);
    let session = Session::new(config.clone(), crate::util::cpu()).expect("builds");
    assert_eq!(session.latent, LatentSampler::new(&config.model));
    // Vectors of one component lie ~0.4 apart (8 coordinates of spread 0.1), centres ~4.
    let mut groups: Vec<&[f32]> = Vec::new();
    for v in session.fixed_z.chunks_exact(8) {
        let d = |w: &[f32]| v.iter().zip(w).map(|(a, b)| (a - b).powi(2)).sum::<f32>();
        if groups.iter().all(|g| d(g) > 3.0) {
            groups.push(v);
        }
    }
    assert_eq!(groups.len(), 3, "one group per component");
    config.model.latent_components = 0;
    let err = config.validate().expect_err("no components");
    assert_eq!(err.field, "model.latent_components");
}
