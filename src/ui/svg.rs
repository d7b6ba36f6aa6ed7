//! Render a ratatui buffer to a self-contained SVG (for `screenshots/`).

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CW: f64 = 8.4;
const CH: f64 = 17.0;

fn hex(c: Color, default: &str) -> String {
    let named = |r: u8, g: u8, b: u8| format!("#{r:02x}{g:02x}{b:02x}");
    match c {
        Color::Reset => default.to_string(),
        Color::Rgb(r, g, b) => named(r, g, b),
        Color::Black => named(0, 0, 0),
        Color::Red => named(205, 49, 49),
        Color::Green => named(13, 188, 121),
        Color::Yellow => named(229, 229, 16),
        Color::Blue => named(36, 114, 200),
        Color::Magenta => named(188, 63, 188),
        Color::Cyan => named(17, 168, 205),
        Color::Gray => named(204, 204, 204),
        Color::DarkGray => named(102, 102, 102),
        Color::LightRed => named(241, 76, 76),
        Color::LightGreen => named(35, 209, 139),
        Color::LightYellow => named(245, 245, 67),
        Color::LightBlue => named(59, 142, 234),
        Color::LightMagenta => named(214, 112, 214),
        Color::LightCyan => named(41, 184, 219),
        Color::White => named(255, 255, 255),
        Color::Indexed(i) => format!("#{:02x}{:02x}{:02x}", i, i, i),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// SVG of `buf` with the given default foreground/background (for `Color::Reset`).
pub fn buffer_to_svg(buf: &Buffer, default_fg: &str, default_bg: &str) -> String {
    let area = buf.area;
    let w = f64::from(area.width) * CW;
    let h = f64::from(area.height) * CH;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.1} {h:.1}\">\n<rect width=\"100%\" height=\"100%\" fill=\"{default_bg}\"/>\n<g font-family=\"'DejaVu Sans Mono','Menlo','Consolas',monospace\" font-size=\"14\" xml:space=\"preserve\">\n"
    );
    for y in 0..area.height {
        // backgrounds, merged into runs
        let mut x = 0;
        while x < area.width {
            let cell = &buf[(area.x + x, area.y + y)];
            let mut bg = cell.bg;
            let mut fg = cell.fg;
            if cell.modifier.contains(Modifier::REVERSED) {
                std::mem::swap(&mut bg, &mut fg);
            }
            let start = x;
            let color = hex(bg, default_bg);
            while x < area.width {
                let c = &buf[(area.x + x, area.y + y)];
                let (mut b, mut f) = (c.bg, c.fg);
                if c.modifier.contains(Modifier::REVERSED) {
                    std::mem::swap(&mut b, &mut f);
                }
                if hex(b, default_bg) != color {
                    break;
                }
                x += 1;
            }
            if color != default_bg {
                out.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{CH:.1}\" fill=\"{color}\"/>\n",
                    f64::from(start) * CW,
                    f64::from(y) * CH,
                    f64::from(x - start) * CW
                ));
            }
        }
        // text, one <text> per run of same style without spaces (browsers collapse and
        // drop spaces inside a <text>, xml:space being obsolete: each word at its own cells)
        let mut x = 0;
        while x < area.width {
            let cell = &buf[(area.x + x, area.y + y)];
            if cell.symbol() == " " {
                x += 1;
                continue;
            }
            let (mut fg, mut bg) = (cell.fg, cell.bg);
            if cell.modifier.contains(Modifier::REVERSED) {
                std::mem::swap(&mut bg, &mut fg);
            }
            let fill = hex(fg, default_fg);
            let bold = cell.modifier.contains(Modifier::BOLD);
            let ul = cell.modifier.contains(Modifier::UNDERLINED);
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let c = &buf[(area.x + x, area.y + y)];
                let (mut f, mut b) = (c.fg, c.bg);
                if c.modifier.contains(Modifier::REVERSED) {
                    std::mem::swap(&mut b, &mut f);
                }
                if hex(f, default_fg) != fill
                    || c.symbol() == " "
                    || c.modifier.contains(Modifier::BOLD) != bold
                    || c.modifier.contains(Modifier::UNDERLINED) != ul
                {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            if !text.trim().is_empty() {
                out.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{fill}\"{}{} textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\">{}</text>\n",
                    f64::from(start) * CW,
                    f64::from(y) * CH + CH * 0.78,
                    if bold { " font-weight=\"bold\"" } else { "" },
                    if ul { " text-decoration=\"underline\"" } else { "" },
                    f64::from(x - start) * CW,
                    esc(&text)
                ));
            }
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    /// A padded word is drawn at its own cells: browsers drop the padding, so stretching
    /// the glyphs over it smeared "Install" across the preview in the README shots, and
    /// collapsed the spaces between table columns.
    #[test]
    fn padded_text_is_drawn_over_its_own_cells_only() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 30, 1));
        buf.set_string(3, 0, "Install", ratatui::style::Style::default());
        let svg = super::buffer_to_svg(&buf, "#ffffff", "#000000");
        let text = svg
            .lines()
            .find(|l| l.contains("Install"))
            .expect("the word is drawn");
        assert!(text.contains(">Install</text>"), "{text}");
        assert!(text.contains("x=\"25.2\""), "starts at its cell: {text}");
        assert!(text.contains("textLength=\"58.8\""), "7 cells wide: {text}");
        // words apart are drawn apart (a browser would collapse the spaces between them)
        let mut buf = Buffer::empty(Rect::new(0, 0, 30, 1));
        buf.set_string(0, 0, "#1 majority   13", ratatui::style::Style::default());
        let svg = super::buffer_to_svg(&buf, "#ffffff", "#000000");
        assert!(svg.contains("x=\"117.6\""), "13 at its column: {svg}");
        assert!(svg.contains(">majority</text>"), "{svg}");
    }
}
