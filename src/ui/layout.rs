//! Rectangle arithmetic that cannot leave its parent: every view and pane derives its parts
//! from these, so no size of terminal (down to 1×1) can make a part point outside the
//! screen or a `u16` wrap. The drawing primitives (`views::table_render::{put, fill,
//! set_cell}`) also clip to the buffer, so a mistake here costs a cut word, not a panic.

use ratatui::layout::Rect;

/// Below this the console shows only "terminal too small" (header, crumbs, one body row and
/// the footer need 4 rows; 20 columns hold the shortest hints).
pub const MIN_WIDTH: u16 = 20;
pub const MIN_HEIGHT: u16 = 5;

/// The full layout does not fit.
pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// The one-row strip `dy` rows into `area`, if the area is that tall.
pub fn row(area: Rect, dy: u16) -> Option<Rect> {
    (dy < area.height).then(|| Rect {
        y: area.y + dy,
        height: 1,
        ..area
    })
}

/// What is left of `area` below its first `dy` rows (zero-high when nothing is).
pub fn below(area: Rect, dy: u16) -> Rect {
    let dy = dy.min(area.height);
    Rect {
        y: area.y + dy,
        height: area.height - dy,
        ..area
    }
}

/// The first `h` rows of `area` (all of it when shorter).
pub fn top(area: Rect, h: u16) -> Rect {
    Rect {
        height: h.min(area.height),
        ..area
    }
}

/// `area` without its last `h` rows.
pub fn without_bottom(area: Rect, h: u16) -> Rect {
    Rect {
        height: area.height.saturating_sub(h),
        ..area
    }
}

/// The columns of `area` from `dx` on, at most `w` wide (zero-wide when `dx` is past it).
pub fn columns(area: Rect, dx: u16, w: u16) -> Rect {
    let dx = dx.min(area.width);
    Rect {
        x: area.x + dx,
        width: w.min(area.width - dx),
        ..area
    }
}

/// A box of `wp`% × `hp`% of `area`, at least `min_w` × `min_h` when there is room, centered,
/// and always inside `area`.
pub fn centered(area: Rect, wp: u16, hp: u16, min_w: u16, min_h: u16) -> Rect {
    let pct = |v: u16, p: u16| (u32::from(v) * u32::from(p.min(100)) / 100) as u16;
    let w = pct(area.width, wp).max(min_w).min(area.width);
    let h = pct(area.height, hp).max(min_h).min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_never_leave_their_parent() {
        let a = Rect::new(3, 4, 10, 6);
        assert_eq!(row(a, 5), Some(Rect::new(3, 9, 10, 1)));
        assert_eq!(row(a, 6), None);
        assert_eq!(below(a, 2), Rect::new(3, 6, 10, 4));
        assert_eq!(below(a, 99), Rect::new(3, 10, 10, 0));
        assert_eq!(top(a, 99), a);
        assert_eq!(without_bottom(a, 99).height, 0);
        assert_eq!(columns(a, 8, 5), Rect::new(11, 4, 2, 6));
        assert_eq!(columns(a, 20, 5).width, 0);
        let c = centered(a, 70, 70, 60, 14);
        assert_eq!(c, a, "a minimum larger than the parent is the parent");
        let big = Rect::new(0, 0, u16::MAX, u16::MAX);
        let c = centered(big, 80, 90, 0, 0);
        assert!(c.right() <= big.right() && c.bottom() <= big.bottom());
        assert!(too_small(Rect::new(0, 0, 19, 40)) && too_small(Rect::new(0, 0, 80, 4)));
        assert!(!too_small(Rect::new(0, 0, 20, 5)));
    }
}
