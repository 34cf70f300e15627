//! Lessons: a preset can carry a title, a script of steps and bookmarks. A step says what to
//! do and what to watch for, and can train up to a step, change the setup (the same tables as
//! a preset's), switch to another preset or open a view; a bookmark names a step of the run
//! to jump back to. The window shows the lesson beside the view with next / previous.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::config::TrainConfig;

/// A preset's `[lesson]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    pub title: String,
    #[serde(default)]
    pub steps: Vec<LessonStep>,
    #[serde(default)]
    pub bookmarks: Vec<Bookmark>,
}

/// One step of a lesson's script (`[[lesson.steps]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonStep {
    /// What to do, or what the teacher explains.
    pub say: String,
    /// What to watch for while it happens.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub watch: String,
    /// Offers "Run to step N": trains until the run has done N rounds, then pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_to: Option<u64>,
    /// Offers a change to the setup: tables as in a preset (`[lesson.steps.set.objective]`),
    /// merged over the current configuration. A change to what is learned restarts the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<toml::Table>,
    /// Offers to switch to another preset (a path relative to this file); the run restarts
    /// and the lesson stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<PathBuf>,
    /// Offers slow motion at this many milliseconds per update (0: full speed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pace_ms: Option<u32>,
    /// Opens a view when the step is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show: Option<LessonView>,
}

/// A view a lesson step can open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LessonView {
    Curves,
    Collapse,
    Compare,
    Explorer,
}

/// A named step of the run (`[[lesson.bookmarks]]`): the window jumps the sample history there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bookmark {
    pub step: u64,
    pub label: String,
}

/// `config` with `set` merged in. A table that names another `kind` (objective, optimizer,
/// data) replaces the table it meets instead of mixing the two kinds' fields.
pub fn apply_set(config: &TrainConfig, set: &toml::Table) -> Result<TrainConfig, String> {
    let mut table = toml::Table::try_from(config).map_err(|e| e.to_string())?;
    merge(&mut table, set);
    let out: TrainConfig = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| e.to_string().trim_end().to_string())?;
    out.validate().map_err(|e| e.to_string())?;
    Ok(out)
}

fn merge(into: &mut toml::Table, from: &toml::Table) {
    for (key, value) in from {
        match (into.get_mut(key), value) {
            (Some(toml::Value::Table(old)), toml::Value::Table(new))
                if new.get("kind").is_none_or(|k| old.get("kind") == Some(k)) =>
            {
                merge(old, new);
            }
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

impl Lesson {
    /// Checks the lesson against the preset it came with (`config`, read from `path`):
    /// every step's change applies to it, every other preset it loads exists and parses.
    /// `load` paths are resolved beside the preset. Errors name the field.
    pub fn check(&mut self, config: &TrainConfig, path: &Path) -> Result<(), String> {
        if self.title.trim().is_empty() {
            return Err("lesson.title: a lesson needs a title".into());
        }
        if self.steps.is_empty() {
            return Err("lesson.steps: a lesson needs at least one step".into());
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        for (i, step) in self.steps.iter_mut().enumerate() {
            if step.say.trim().is_empty() {
                return Err(format!("lesson.steps[{i}].say: empty"));
            }
            if step.run_to == Some(0) {
                return Err(format!("lesson.steps[{i}].run_to: must be at least 1"));
            }
            if step.pace_ms.is_some_and(|ms| ms > 2000) {
                return Err(format!("lesson.steps[{i}].pace_ms: at most 2000"));
            }
            if let Some(set) = &step.set {
                apply_set(config, set).map_err(|e| format!("lesson.steps[{i}].set: {e}"))?;
            }
            if let Some(load) = &mut step.load {
                if load.is_relative() {
                    *load = dir.join(&*load);
                }
                super::preset::Preset::load_without_lesson(load)
                    .map_err(|e| format!("lesson.steps[{i}].load: {e}"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::config::Objective;

    fn table(text: &str) -> toml::Table {
        text.parse().expect("toml")
    }

    #[test]
    fn a_set_merges_fields_and_replaces_a_table_of_another_kind() {
        let base = crate::engine::preset::default_preset().config();
        let out = apply_set(&base, &table("[train]\nd_steps = 3\n")).expect("applies");
        assert_eq!(out.train.d_steps, 3);
        assert_eq!(
            out.train.batch_size, base.train.batch_size,
            "the rest stays"
        );
        let gp = apply_set(
            &base,
            &table(
                "[objective]\nkind = \"wgan-gp\"\nlambda = 5.0\n[model]\nd_batch_norm = false\n",
            ),
        )
        .expect("applies");
        assert_eq!(gp.objective, Objective::WganGp { lambda: 5.0 });
        let sgd = apply_set(&base, &table("[optimizer.d]\nkind = \"sgd\"\nlr = 0.1\n"))
            .expect("the Adam betas do not leak into SGD");
        assert_eq!(sgd.optimizer.d.lr(), 0.1);
        let bad = apply_set(&base, &table("[train]\nd_stepz = 3\n")).expect_err("unknown");
        assert!(bad.contains("d_stepz"), "{bad}");
        let invalid = apply_set(&base, &table("[tricks]\nlabel_smoothing = 0.9\n"))
            .expect_err("out of range");
        assert!(invalid.contains("tricks.label_smoothing"), "{invalid}");
    }
}
