//! Tests of CycleGAN presets: defaults, field-named errors, the family check.
use super::*;

fn parse(text: &str) -> Result<CyclePreset, PresetError> {
    CyclePreset::parse(text, Path::new("p.toml"))
}

const HEAD: &str = "format = 1\nfamily = \"cyclegan\"\nname = \"x\"\n[cyclegan]\n";

#[test]
fn a_minimal_preset_takes_the_papers_defaults() {
    let p = parse(&format!(
        "{HEAD}domains = {{ kind = \"embedded-pair\", pair = \"thin-thick\" }}\n"
    ))
    .expect("parses");
    let c = p.cyclegan.config();
    assert_eq!((c.lambda_cycle, c.identity, c.replay), (10.0, 0.5, 50));
    assert_eq!((c.lr, c.beta1), (2e-4, 0.5));
    assert_eq!(c.semantic, 0.0, "plain CycleGAN unless asked");
    let [train, held] = p.cyclegan.load_domains().expect("loads");
    assert_eq!(
        (train.a.len(), held.a.len(), held.b.len()),
        (1500, 500, 500)
    );
    assert_eq!(train.a.labels.as_ref().map(Vec::len), Some(1500));
}

#[test]
fn bad_values_name_their_field() {
    let field = |extra: &str| match parse(&format!(
        "{HEAD}domains = {{ kind = \"embedded-pair\", pair = \"thin-thick\", per_domain = 100 }}\n{extra}\n"
    )) {
        Err(PresetError::Invalid { cause, .. }) => cause.field,
        other => panic!("{extra}: {other:?}"),
    };
    assert_eq!(field("batch_size = 0"), "cyclegan.batch_size");
    assert_eq!(field("lr = -1.0"), "cyclegan.lr");
    assert_eq!(field("held_out = 100"), "cyclegan.held_out");
    assert_eq!(field("decay_start = 10"), "cyclegan.decay_start");
    assert_eq!(field("beta2 = 1.0"), "cyclegan.beta2");
    assert_eq!(field("semantic = -0.5"), "cyclegan.semantic");
    let points = parse(&format!(
        "{HEAD}domains = {{ kind = \"sources\", a = {{ kind = \"ring\" }}, b = {{ kind = \"digits\" }} }}\n"
    ));
    assert!(
        matches!(points, Err(PresetError::Invalid { cause, .. }) if cause.field == "cyclegan.domains.a")
    );
    let same = parse(&format!(
        "{HEAD}domains = {{ kind = \"sources\", a = {{ kind = \"digits\" }}, b = {{ kind = \"digits\" }} }}\n"
    ));
    assert!(
        matches!(&same, Err(PresetError::Invalid { cause, .. }) if cause.field == "cyclegan.domains.b"),
        "{same:?}"
    );
    let unknown = parse(&format!(
        "{HEAD}domains = {{ kind = \"embedded-pair\", pair = \"thin-thick\" }}\nlamda = 3.0\n"
    ));
    assert!(
        matches!(unknown, Err(PresetError::Syntax { message, .. }) if message.contains("lamda"))
    );
}

#[test]
fn a_gan_preset_loader_refuses_a_cyclegan_preset_by_family() {
    let text = format!("{HEAD}domains = {{ kind = \"embedded-pair\", pair = \"thin-thick\" }}\n");
    let err =
        crate::engine::preset::Preset::parse(&text, Path::new("c.toml")).expect_err("refused");
    assert!(
        err.to_string().contains("trains the cyclegan family"),
        "{err}"
    );
    assert_eq!(
        crate::engine::preset::family_of(&text).as_deref(),
        Some("cyclegan")
    );
    assert_eq!(
        crate::engine::preset::family_of("format = 1").as_deref(),
        Some("gan")
    );
}

#[test]
fn a_domain_too_small_to_hold_images_out_is_refused() {
    let s = CycleSection {
        domains: DomainsConfig::Sources {
            a: DataConfig::Digits { count: 30 },
            b: DataConfig::Digits { count: 1000 },
            names: Some(["few".into(), "many".into()]),
        },
        held_out: 50,
        ..parse(&format!(
            "{HEAD}domains = {{ kind = \"embedded-pair\", pair = \"thin-thick\" }}\n"
        ))
        .expect("parses")
        .cyclegan
    };
    let e = s.load_domains().expect_err("refused");
    assert!(e.contains("domain few has 30 images"), "{e}");
}

#[test]
fn gradient_penalty_and_clipping_objectives_are_refused_for_the_patchgan_critic() {
    let with = |objective: &str| {
        parse(&format!(
            "{HEAD}domains = {{ kind = \"embedded-pair\", pair = \"thin-thick\", per_domain = 600 }}\nobjective = {{ kind = \"{objective}\" }}\n"
        ))
    };
    for refused in ["wgan-gp", "wgan"] {
        match with(refused) {
            Err(PresetError::Invalid { cause, .. }) => {
                assert_eq!(cause.field, "cyclegan.objective");
                assert!(
                    cause.message.contains("use least-squares"),
                    "{}",
                    cause.message
                );
            }
            other => panic!("{refused}: {other:?}"),
        }
    }
    let Err(PresetError::Invalid { cause, .. }) = with("wgan-gp") else {
        unreachable!()
    };
    assert!(
        cause.message.contains("second backward pass"),
        "{}",
        cause.message
    );
    for kind in ["least-squares", "hinge", "non-saturating", "minimax"] {
        let p = with(kind).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(p.cyclegan.config().objective.name(), kind);
    }
}

#[test]
fn a_saved_preset_keeps_its_settings_and_finds_its_files_from_another_folder() {
    let shipped =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/cyclegan/mnist-to-digits.toml");
    let mut original = CyclePreset::load(&shipped).expect("shipped preset");
    original.cyclegan.downsamplings = 1;
    let dir = std::env::temp_dir().join(format!("ganvas-cycle-preset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let saved = dir.join("copy.toml");
    original.save(&saved).expect("saved");
    let back = CyclePreset::load(&saved).expect("loads back");
    assert_eq!(back.cyclegan.downsamplings, 1);
    let images = |p: &CyclePreset| match &p.cyclegan.domains {
        DomainsConfig::Sources { a, .. } => match a {
            DataConfig::Idx { images, .. } => images.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert!(images(&back).is_absolute(), "{:?}", images(&back));
    assert_eq!(
        images(&back),
        std::path::absolute(images(&original)).expect("absolute")
    );
    let (mut a, mut b) = (back.cyclegan.clone(), original.cyclegan.clone());
    let none = || DomainsConfig::EmbeddedPair {
        pair: PairName::ThinThick,
        per_domain: 1,
    };
    (a.domains, b.domains) = (none(), none());
    assert_eq!(a, b, "every other setting as it was");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn downsamplings_are_refused_outside_one_to_three() {
    for (v, ok) in [(0, false), (1, true), (3, true), (4, false)] {
        let r = parse(&format!(
            "{HEAD}domains = {{ kind = \"embedded-pair\", pair = \"thin-thick\" }}\ndownsamplings = {v}\n"
        ));
        match (r, ok) {
            (Ok(_), true) => {}
            (Err(e), false) => assert!(e.to_string().contains("cyclegan.downsamplings"), "{e}"),
            (r, _) => panic!("downsamplings = {v}: {r:?}"),
        }
    }
}

#[test]
fn two_sources_holding_the_same_images_are_refused() {
    let p = parse(&format!(
        "{HEAD}held_out = 20\n[cyclegan.domains]\nkind = \"sources\"\na = {{ kind = \"digits\", count = 200 }}\nb = {{ kind = \"digits\", count = 300 }}\n"
    ))
    .expect("parses");
    // The embedded digits drawn twice with one seed: the first 200 are the same images.
    let Err(err) = p.cyclegan.load_domains() else {
        panic!("two overlapping sources are refused");
    };
    assert!(err.contains("200 of the 200 images"), "{err}");
    assert!(err.contains("hold the same images"), "{err}");
    // The embedded pair's two styles come from different drawings: accepted.
    let p = parse(&format!(
        "{HEAD}held_out = 20\ndomains = {{ kind = \"embedded-pair\", pair = \"thin-thick\", per_domain = 200 }}\n"
    ))
    .expect("parses");
    assert!(p.cyclegan.load_domains().is_ok());
}
