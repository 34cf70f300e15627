//! A small RGB canvas with an 8×8 bitmap font, for pictures the engine draws itself (the 2D
//! view for slides, the augmentation lab's chart): no GUI types, the same image from the
//! window's exports and the command line.

pub const WHITE: [u8; 3] = [255, 255, 255];
pub const INK: [u8; 3] = [30, 30, 30];
/// Text is the 8×8 font drawn at this scale.
const TEXT_SCALE: usize = 2;
/// Width and height of a character, pixels.
pub const GLYPH: usize = 8 * TEXT_SCALE;

/// An RGB canvas, white to begin with.
pub struct Canvas {
    pub w: usize,
    pub h: usize,
    /// w × h × 3 bytes, rows from the top.
    pub px: Vec<u8>,
}

impl Canvas {
    pub fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            px: WHITE.repeat(w * h),
        }
    }

    pub fn set(&mut self, x: i64, y: i64, rgb: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let at = (y as usize * self.w + x as usize) * 3;
            self.px[at..at + 3].copy_from_slice(&rgb);
        }
    }

    pub fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, rgb: [u8; 3]) {
        for y in y0..y1 {
            for x in x0..x1 {
                self.set(x, y, rgb);
            }
        }
    }

    pub fn disc(&mut self, cx: i64, cy: i64, r: i64, rgb: [u8; 3]) {
        for dy in -r..=r {
            for dx in -r..=r {
                if dx * dx + dy * dy <= r * r {
                    self.set(cx + dx, cy + dy, rgb);
                }
            }
        }
    }

    pub fn ring(&mut self, cx: i64, cy: i64, r: i64, width: i64, rgb: [u8; 3]) {
        let (inner, outer) = ((r - width).max(0).pow(2), r * r);
        for dy in -r..=r {
            for dx in -r..=r {
                let d = dx * dx + dy * dy;
                if d <= outer && d >= inner {
                    self.set(cx + dx, cy + dy, rgb);
                }
            }
        }
    }

    /// Text with its top-left corner at (x, y); characters outside ASCII are drawn as '?'.
    pub fn text(&mut self, x: i64, y: i64, s: &str, rgb: [u8; 3]) {
        for (i, ch) in s.chars().enumerate() {
            let code = if ch.is_ascii() {
                ch as usize
            } else {
                '?' as usize
            };
            let glyph = font8x8::legacy::BASIC_LEGACY[code];
            let x0 = x + (i * GLYPH) as i64;
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits >> col & 1 == 1 {
                        let (px, py) = (
                            x0 + (col * TEXT_SCALE) as i64,
                            y + (row * TEXT_SCALE) as i64,
                        );
                        self.rect(px, py, px + TEXT_SCALE as i64, py + TEXT_SCALE as i64, rgb);
                    }
                }
            }
        }
    }
}

/// Width of `s` drawn with [`Canvas::text`], pixels.
pub fn text_width(s: &str) -> i64 {
    (s.chars().count() * GLYPH) as i64
}
