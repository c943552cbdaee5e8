//! A small SVG plotter: panels with axes, lines, points and closed curves.
//!
//! Written here rather than taken from a plotting crate because SVG text
//! needs no font files: the viewer lays the labels out, so plots render the
//! same on a machine without system fonts.

use std::fmt::Write;

/// Colours for series and components, distinguishable in print and for
/// colour-blind readers (Okabe-Ito).
pub const PALETTE: &[&str] = &[
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000",
];

/// The `i`-th colour of the palette, cycling.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// What a series draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// A polyline through the points.
    Line,
    /// A dashed polyline.
    Dashed,
    /// A dot at each point.
    Dots,
}

/// One set of points drawn one way, with an optional legend entry.
#[derive(Debug, Clone)]
pub struct Series {
    pub points: Vec<(f64, f64)>,
    pub mark: Mark,
    /// An SVG colour; owned so that blends (responsibilities) can be drawn.
    pub colour: String,
    pub label: Option<String>,
}

impl Series {
    pub fn new(points: Vec<(f64, f64)>, mark: Mark, colour: impl Into<String>) -> Self {
        Series {
            points,
            mark,
            colour: colour.into(),
            label: None,
        }
    }

    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

/// One chart: axes, titles and series.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub series: Vec<Series>,
}

impl Panel {
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Panel {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Panel::default()
        }
    }

    /// Widens the axes to take in `points` without drawing them (a common
    /// frame for a row of panels, or room for the legend).
    pub fn extend_to(&mut self, points: &[(f64, f64)]) {
        self.series
            .push(Series::new(points.to_vec(), Mark::Dots, "none"));
    }
}

const PANEL_W: f64 = 520.0;
const PANEL_H: f64 = 400.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 55.0;

/// Renders the panels side by side as one SVG document.
pub fn render(panels: &[Panel]) -> String {
    let width = PANEL_W * panels.len().max(1) as f64;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{PANEL_H}" viewBox="0 0 {width} {PANEL_H}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (i, panel) in panels.iter().enumerate() {
        render_panel(&mut svg, panel, i as f64 * PANEL_W);
    }
    svg.push_str("</svg>\n");
    svg
}

/// Writes `panels` to `path` as SVG.
pub fn save(path: &std::path::Path, panels: &[Panel]) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::write(path, render(panels))
        .with_context(|| format!("cannot write the plot to '{}'", path.display()))
}

/// An axis: data range, scale, and the pixel interval it maps to.
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    from: f64,
    to: f64,
}

impl Axis {
    fn fit(values: impl Iterator<Item = f64>, log: bool, from: f64, to: f64) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            let v = if log { v.log10() } else { v };
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo < 1e-12 * (1.0 + lo.abs()) {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }
        let pad = if log { 0.0 } else { 0.05 * (hi - lo) };
        Axis {
            lo: lo - pad,
            hi: hi + pad,
            log,
            from,
            to,
        }
    }

    /// Pixel coordinate of data value `v`, or None where it cannot be drawn.
    fn map(&self, v: f64) -> Option<f64> {
        let v = if self.log {
            (v > 0.0).then(|| v.log10())?
        } else {
            v
        };
        v.is_finite()
            .then(|| self.from + (v - self.lo) / (self.hi - self.lo) * (self.to - self.from))
    }

    /// Tick positions (in data units) and their labels.
    fn ticks(&self) -> Vec<(f64, String)> {
        if self.log {
            let (a, b) = (self.lo.floor() as i32, self.hi.ceil() as i32);
            let stride = ((b - a + 7) / 8).max(1);
            return (a..=b)
                .filter(|e| (e - a) % stride == 0)
                .map(|e| 10f64.powi(e))
                .filter(|&t| t.log10() >= self.lo - 1e-9 && t.log10() <= self.hi + 1e-9)
                .map(|t| (t, format!("1e{}", t.log10().round())))
                .collect();
        }
        let raw = (self.hi - self.lo) / 6.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude);
        let mut t = (self.lo / step).ceil() * step;
        let mut ticks = Vec::new();
        while t <= self.hi + 1e-9 * step {
            let label = format_tick(t, step);
            ticks.push((t, label));
            t += step;
        }
        ticks
    }
}

fn format_tick(t: f64, step: f64) -> String {
    if t.abs() < 1e-12 * step {
        return "0".into();
    }
    if t.abs() >= 1e5 || t.abs() < 1e-3 {
        return format!("{t:.1e}");
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{t:.decimals$}")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn render_panel(svg: &mut String, panel: &Panel, x0: f64) {
    let all = || panel.series.iter().flat_map(|s| s.points.iter());
    let (left, right) = (x0 + LEFT, x0 + PANEL_W - RIGHT);
    let (top, bottom) = (TOP, PANEL_H - BOTTOM);
    let xa = Axis::fit(all().map(|p| p.0), panel.log_x, left, right);
    let ya = Axis::fit(all().map(|p| p.1), panel.log_y, bottom, top);

    let _ = writeln!(
        svg,
        r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#444"/>"##,
        right - left,
        bottom - top
    );
    for (t, label) in xa.ticks() {
        let Some(px) = xa.map(t) else { continue };
        let _ = writeln!(
            svg,
            r##"<line x1="{px:.1}" y1="{top}" x2="{px:.1}" y2="{bottom}" stroke="#ddd"/><text x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            bottom + 18.0,
            escape(&label)
        );
    }
    for (t, label) in ya.ticks() {
        let Some(py) = ya.map(t) else { continue };
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" y1="{py:.1}" x2="{right}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            left - 6.0,
            py + 4.0,
            escape(&label)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="24" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
        (left + right) / 2.0,
        escape(&panel.title)
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        (left + right) / 2.0,
        PANEL_H - 12.0,
        escape(&panel.x_label)
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate({:.1},{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        x0 + 18.0,
        (top + bottom) / 2.0,
        escape(&panel.y_label)
    );

    for series in &panel.series {
        let mapped: Vec<(f64, f64)> = series
            .points
            .iter()
            .filter_map(|&(x, y)| Some((xa.map(x)?, ya.map(y)?)))
            .collect();
        match series.mark {
            Mark::Dots => {
                for (px, py) in &mapped {
                    let _ = writeln!(
                        svg,
                        r#"<circle cx="{px:.1}" cy="{py:.1}" r="2.5" fill="{}" fill-opacity="0.7"/>"#,
                        series.colour
                    );
                }
            }
            Mark::Line | Mark::Dashed => {
                let tag = "polyline";
                let dash = if series.mark == Mark::Dashed {
                    r#" stroke-dasharray="6,4""#
                } else {
                    ""
                };
                let points: Vec<String> = mapped
                    .iter()
                    .map(|(px, py)| format!("{px:.1},{py:.1}"))
                    .collect();
                let _ = writeln!(
                    svg,
                    r#"<{tag} points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
                    points.join(" "),
                    series.colour
                );
            }
        }
    }

    let labelled: Vec<_> = panel
        .series
        .iter()
        .filter_map(|s| Some((s.label.as_ref()?, s)))
        .collect();
    if !labelled.is_empty() {
        let _ = writeln!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="160" height="{:.1}" fill="white" fill-opacity="0.85" stroke="#bbb"/>"##,
            right - 168.0,
            top + 4.0,
            18.0 * labelled.len() as f64 + 6.0
        );
    }
    for (row, (label, series)) in labelled.into_iter().enumerate() {
        let y = top + 16.0 + 18.0 * row as f64;
        let swatch = match series.mark {
            Mark::Dots => format!(
                r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{}"/>"#,
                right - 152.0,
                y - 4.0,
                series.colour
            ),
            Mark::Line | Mark::Dashed => format!(
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="2"{}/>"#,
                right - 160.0,
                y - 4.0,
                right - 144.0,
                y - 4.0,
                series.colour,
                if series.mark == Mark::Dashed {
                    r#" stroke-dasharray="4,3""#
                } else {
                    ""
                }
            ),
        };
        let _ = writeln!(
            svg,
            r#"{swatch}<text x="{:.1}" y="{:.1}">{}</text>"#,
            right - 140.0,
            y,
            escape(label)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round_numbers_inside_the_range() {
        let axis = Axis::fit([0.3, 9.7].into_iter(), false, 0.0, 100.0);
        let ticks = axis.ticks();
        assert!(ticks.len() >= 4);
        for (t, label) in ticks {
            assert!(t >= axis.lo && t <= axis.hi);
            assert_eq!(label.parse::<f64>().unwrap(), t);
        }
    }

    #[test]
    fn log_axes_skip_values_they_cannot_show() {
        let axis = Axis::fit([1e-16, 1e-1, 0.0, -1.0].into_iter(), true, 0.0, 100.0);
        assert_eq!(axis.map(0.0), None);
        assert!((axis.map(1e-16).unwrap() - 0.0).abs() < 1e-9);
        assert!((axis.map(1e-1).unwrap() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn renders_a_well_formed_document_with_escaped_text() {
        let mut panel = Panel::new("a < b", "x", "y");
        panel
            .series
            .push(Series::new(vec![(0.0, 1.0), (1.0, 2.0)], Mark::Line, colour(0)).labelled("s&t"));
        let svg = render(&[panel]);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("a &lt; b") && svg.contains("s&amp;t"));
        assert!(svg.contains("<polyline"));
    }
}
