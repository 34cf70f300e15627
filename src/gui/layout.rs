//! Panel sizes that follow the window: the curves (left) and setup (right) panels take a share
//! of the width and never squeeze the main view below [`MIN_VIEW`] px; on a narrow window the
//! curves panel folds away first (View menu to bring it back).

/// The main view's least width, in points.
pub const MIN_VIEW: f32 = 420.0;
/// Below this window width the curves panel starts folded.
const NARROW: f32 = 900.0;

/// Which side panels are shown (persisted) and how wide they may be this frame.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Layout {
    pub show_left: bool,
    pub show_right: bool,
    /// The window width the panels were last fitted to (not persisted).
    #[serde(skip)]
    fitted_to: Option<f32>,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            show_left: true,
            show_right: true,
            fitted_to: None,
        }
    }
}

/// A side panel's default width and the widest it may be dragged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PanelSize {
    pub default: f32,
    pub max: f32,
}

impl Layout {
    /// Folds the curves panel when the window first shows (or becomes) narrow.
    pub fn fit(&mut self, width: f32) {
        let narrow = width < NARROW;
        let was_narrow = self.fitted_to.is_some_and(|w| w < NARROW);
        if self.fitted_to.is_none() || narrow != was_narrow {
            if narrow {
                self.show_left = false;
            } else if self.fitted_to.is_some() {
                self.show_left = true;
            }
        }
        self.fitted_to = Some(width);
    }

    /// Sizes of the left and right panels for a window `width` points wide.
    pub fn sizes(&self, width: f32) -> (PanelSize, PanelSize) {
        let left = if self.show_left {
            (0.28 * width).clamp(220.0, 520.0)
        } else {
            0.0
        };
        let right = if self.show_right {
            (0.25 * width).clamp(230.0, 330.0)
        } else {
            0.0
        };
        // What each may grow to while the other keeps its default and the view its minimum.
        let room = (width - MIN_VIEW - 24.0).max(0.0);
        (
            PanelSize {
                default: left.min(room),
                max: (room - right).max(left.min(room)),
            },
            PanelSize {
                default: right.min((room - left).max(0.0)),
                max: (room - left).max(right.min((room - left).max(0.0))),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_keeps_its_minimum_at_every_width() {
        for width in [800.0, 1024.0, 1280.0, 1920.0] {
            let mut l = Layout::default();
            l.fit(width);
            let (left, right) = l.sizes(width);
            assert!(
                width - left.default - right.default - 24.0 >= MIN_VIEW - 0.5,
                "{width}: {left:?} {right:?}"
            );
            assert!(left.max >= left.default && right.max >= right.default);
        }
        let mut l = Layout::default();
        l.fit(800.0);
        assert!(!l.show_left, "a narrow window folds the curves");
        l.fit(1280.0);
        assert!(l.show_left, "and unfolds them when it grows");
    }
}
