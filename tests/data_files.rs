//! Bad data files give errors that name the file and the problem; good ones load.

use std::io::Write;

use ganvas::engine::config::DataConfig;
use ganvas::engine::data::{self, DataError, Dataset};

use crate::util::temp_dir;

fn idx_images(count: u32, side: u32, pixels: usize) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [count, side, side] {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend(std::iter::repeat_n(7u8, pixels));
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn load_idx(images: &std::path::Path) -> Result<Dataset, DataError> {
    data::load(&DataConfig::Idx {
        images: images.to_path_buf(),
        labels: None,
        transpose: false,
    })
    .map(|l| l.dataset)
}

#[test]
fn idx_raw_and_gzip_load_alike() {
    let dir = temp_dir("idx-ok");
    let raw = idx_images(3, 4, 48);
    std::fs::write(dir.join("a.idx"), &raw).expect("write");
    std::fs::write(dir.join("a.idx.gz"), gzip(&raw)).expect("write");
    for name in ["a.idx", "a.idx.gz"] {
        let set = load_idx(&dir.join(name)).expect("loads");
        let images = set.images().expect("images");
        assert_eq!(
            (images.len(), images.height, images.width, images.channels),
            (3, 4, 4, 1)
        );
    }
}

#[test]
fn idx_errors_name_the_file_and_problem() {
    let dir = temp_dir("idx-bad");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated.idx", idx_images(3, 4, 40), "truncated"),
        ("truncated.idx.gz", gzip(&idx_images(3, 4, 40)), "truncated"),
        ("magic.idx", vec![1, 2, 3, 4, 0, 0, 0, 1], "wrong file type"),
        ("huge.idx", idx_images(u32::MAX, 65535, 10), "too large"),
        ("empty.idx", Vec::new(), "truncated"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        let err = load_idx(&path).expect_err(name).to_string();
        assert!(err.contains(name), "{err} does not name {name}");
        assert!(
            err.contains(expected),
            "{name}: {err} does not say {expected}"
        );
    }
    let missing = load_idx(&dir.join("nope.idx")).expect_err("missing file");
    assert!(matches!(missing, DataError::Io { .. }));
}

#[test]
fn labels_must_match_images() {
    let dir = temp_dir("idx-labels");
    std::fs::write(dir.join("i.idx"), idx_images(3, 2, 12)).expect("write");
    std::fs::write(dir.join("l.idx"), [0, 0, 8, 1, 0, 0, 0, 2, 1, 2]).expect("write");
    let err = data::load(&DataConfig::Idx {
        images: dir.join("i.idx"),
        labels: Some(dir.join("l.idx")),
        transpose: false,
    })
    .expect_err("2 labels for 3 images");
    assert!(err.to_string().contains("2 labels for 3 images"), "{err}");
}

#[test]
fn cifar_size_is_checked() {
    let dir = temp_dir("cifar");
    let path = dir.join("data_batch_1.bin");
    std::fs::write(&path, vec![3u8; 3073 * 2]).expect("write");
    let set = data::load(&DataConfig::Cifar10 {
        files: vec![path.clone()],
    })
    .expect("2 records");
    assert_eq!(
        set.dataset
            .images()
            .map(|s| (s.len(), s.channels, s.height)),
        Some((2, 3, 32))
    );
    std::fs::write(&path, vec![3u8; 3073 + 5]).expect("write");
    let err = data::load(&DataConfig::Cifar10 { files: vec![path] }).expect_err("partial record");
    assert!(matches!(err, DataError::Truncated { .. }), "{err}");
}

#[test]
fn image_folder_uses_subfolders_as_labels_and_skips_unreadable_files() {
    let dir = temp_dir("folder");
    for class in ["cat", "dog"] {
        std::fs::create_dir_all(dir.join(class)).expect("mkdir");
        for i in 0..2 {
            let img = image::RgbImage::from_pixel(10, 6, image::Rgb([200, 10 * i, 30]));
            img.save(dir.join(class).join(format!("{i}.png")))
                .expect("save png");
        }
    }
    std::fs::write(dir.join("dog").join("broken.png"), b"not a png").expect("write");
    let loaded = data::load(&DataConfig::ImageFolder {
        path: dir.to_path_buf(),
        size: 28,
        channels: 3,
    })
    .expect("loads");
    let set = loaded.dataset.images().expect("images").clone();
    assert_eq!(
        (set.len(), set.channels, set.height, set.width),
        (4, 3, 28, 28)
    );
    assert_eq!(set.class_names, vec!["cat".to_string(), "dog".to_string()]);
    assert_eq!(set.labels, Some(vec![0, 0, 1, 1]));
    assert_eq!(loaded.notes.len(), 1);
    assert!(loaded.notes[0].contains("1 unreadable") && loaded.notes[0].contains("broken.png"));
    let empty = temp_dir("folder-empty");
    let err = data::load(&DataConfig::ImageFolder {
        path: empty.to_path_buf(),
        size: 28,
        channels: 1,
    })
    .expect_err("no images");
    assert!(matches!(err, DataError::Empty { .. }), "{err}");
}

#[test]
fn csv_points_errors_name_the_line() {
    let dir = temp_dir("csv");
    let path = dir.join("pts.csv");
    std::fs::write(&path, "x,y\n0.5,1\nfoo,2\n").expect("write");
    let err = data::load(&DataConfig::Csv { path: path.clone() }).expect_err("bad row");
    let text = err.to_string();
    assert!(
        text.contains("pts.csv") && text.contains("line 3"),
        "{text}"
    );
}

#[test]
fn emnist_style_transpose_swaps_rows_and_columns() {
    let dir = temp_dir("idx-transpose");
    // One 3×3 image: rows [1 2 3] [4 5 6] [7 8 9].
    let mut b = vec![0, 0, 8, 3];
    for d in [1u32, 3, 3] {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend(1..=9u8);
    std::fs::write(dir.join("e.idx"), b).expect("write");
    let set = data::load(&DataConfig::Idx {
        images: dir.join("e.idx"),
        labels: None,
        transpose: true,
    })
    .expect("loads")
    .dataset;
    let set = set.images().expect("images");
    assert_eq!((set.height, set.width), (3, 3));
    assert_eq!(set.image(0), &[1, 4, 7, 2, 5, 8, 3, 6, 9]);
}

/// A gzip stream whose data bytes were damaged in the middle (stored blocks: the deflate
/// structure stays intact, only the CRC tells).
#[test]
fn a_gzip_file_damaged_in_the_middle_is_refused_by_its_checksum() {
    let dir = temp_dir("gz-crc");
    let raw = idx_images(20, 28, 20 * 28 * 28);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    e.write_all(&raw).expect("gzip");
    let mut bytes = e.finish().expect("gzip");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    let path = dir.join("damaged.idx.gz");
    std::fs::write(&path, bytes).expect("write");
    let err = load_idx(&path).expect_err("damaged").to_string();
    assert!(
        err.contains("checksum") && err.contains("damaged.idx.gz"),
        "{err}"
    );
}

#[test]
fn a_stray_label_value_is_named_instead_of_making_classes() {
    let dir = temp_dir("labels");
    let images = dir.join("i.idx");
    std::fs::write(&images, idx_images(100, 28, 100 * 28 * 28)).expect("write");
    let mut labels = vec![0, 0, 8, 1, 0, 0, 0, 100];
    labels.extend((0..100u8).map(|i| i % 10));
    labels[8 + 57] = 200;
    let path = dir.join("l.idx");
    std::fs::write(&path, &labels).expect("write");
    let load = || {
        data::load(&DataConfig::Idx {
            images: images.clone(),
            labels: Some(path.clone()),
            transpose: false,
        })
    };
    let err = load().expect_err("one label of 200 among 0-9").to_string();
    assert!(
        err.contains("200 (item 57)") && err.contains("l.idx"),
        "{err}"
    );
    // Letters-style labels (1..=26, no 0) are fine: one empty class of 27.
    let mut letters = vec![0, 0, 8, 1, 0, 0, 0, 100];
    letters.extend((0..100u8).map(|i| 1 + i % 26));
    std::fs::write(&path, &letters).expect("write");
    assert_eq!(load().expect("letters").dataset.num_classes(), 27);
}

#[test]
fn non_square_images_are_refused_not_taken_for_points() {
    let dir = temp_dir("non-square");
    let mut b = vec![0, 0, 8, 3];
    for d in [10u32, 28, 20] {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend(std::iter::repeat_n(1u8, 10 * 28 * 20));
    let path = dir.join("wide.idx");
    std::fs::write(&path, b).expect("write");
    let err = load_idx(&path).expect_err("28x20").to_string();
    assert!(err.contains("28×20") && err.contains("square"), "{err}");
}

#[test]
fn an_image_beside_the_class_folders_is_left_out_and_the_labels_stay() {
    let dir = temp_dir("loose");
    let grey = image::GrayImage::from_fn(8, 8, |x, _| image::Luma([(x * 30) as u8]));
    for class in ["cats", "dogs"] {
        std::fs::create_dir_all(dir.join(class)).expect("dir");
        for i in 0..3 {
            grey.save(dir.join(class).join(format!("{i}.png")))
                .expect("png");
        }
    }
    grey.save(dir.join("stray.png")).expect("png");
    let loaded = data::load(&DataConfig::ImageFolder {
        path: dir.to_path_buf(),
        size: 28,
        channels: 1,
    })
    .expect("loads");
    assert_eq!(loaded.dataset.num_classes(), 2, "labels kept");
    assert_eq!(loaded.dataset.images().map(|s| s.len()), Some(6));
    assert!(
        loaded
            .notes
            .iter()
            .any(|n| n.contains("stray.png") && n.contains("left out")),
        "{:?}",
        loaded.notes
    );
}
