//! Bar charts drawn on the server as SVG by plotters: no script, scaled to the width of the page
//! (a phone's included) and printed as drawn. Each chart names itself (`<title>`) for assistive
//! technology; the page puts the same numbers in a table beside it and in a CSV file. Colours are
//! Okabe and Ito's, told apart by readers with any common colour-vision deficiency, and each
//! bar segment is also outlined so that neighbouring colours never rely on hue alone.

use std::sync::Once;

use maud::{Markup, PreEscaped, html};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::prelude::*;

/// Okabe–Ito: bluish green, sky blue, vermillion, reddish purple, orange, blue, yellow, black.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0x00, 0x9E, 0x73),
    (0x56, 0xB4, 0xE9),
    (0xD5, 0x5E, 0x00),
    (0xCC, 0x79, 0xA7),
    (0xE6, 0x9F, 0x00),
    (0x00, 0x72, 0xB2),
    (0xF0, 0xE4, 0x42),
    (0x00, 0x00, 0x00),
];

fn colour(n: usize) -> RGBColor {
    let (r, g, b) = PALETTE[n % PALETTE.len()];
    RGBColor(r, g, b)
}

const FONT: &str = "sans-serif";
const TEXT: RGBColor = RGBColor(0x0b, 0x0c, 0x0c);

/// How large a chart is drawn: each chart is drawn twice, for a wide page and for a phone (the
/// page shows one of them), so that its text stays readable when the drawing is scaled to fit.
#[derive(Debug, Clone, Copy)]
struct Size {
    /// The class the page shows it by.
    class: &'static str,
    width: u32,
    font: u32,
    /// At most this many labels along the bottom.
    labels: usize,
    /// Category names longer than this are cut short (the table has them whole).
    name_chars: usize,
}

const WIDE: Size = Size {
    class: "chart chart-wide",
    width: 720,
    font: 14,
    labels: 12,
    name_chars: 60,
};

const NARROW: Size = Size {
    class: "chart chart-narrow",
    width: 380,
    font: 14,
    labels: 6,
    name_chars: 16,
};

fn shortened(name: &str, chars: usize) -> String {
    if name.chars().count() <= chars {
        name.to_owned()
    } else {
        let cut: String = name.chars().take(chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Teaches plotters the font the binary carries, once: it measures labels with it (the SVG
/// names the family; the reader's browser draws the text).
fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is the one the PDFs embed, checked there; a failure leaves plotters unable to
        // measure text, and the chart is then answered as not drawn.
        let _ = plotters::style::register_font(
            FONT,
            plotters::style::FontStyle::Normal,
            crate::documents::REGULAR,
        );
    });
}

/// Bars for categories, each split into series: `values[category][series]`.
pub struct Bars<'a> {
    pub categories: Vec<String>,
    pub values: Vec<Vec<u64>>,
    /// What the numbers count, written along the value axis.
    pub unit: &'a str,
    /// The series' segments are stacked (a total) or set side by side (to compare).
    pub stacked: bool,
    /// The value axis ends here at least (100 for shares).
    pub at_least: u64,
    /// Each series' colour (`PALETTE` index).
    pub colours: Vec<usize>,
}

impl Bars<'_> {
    fn top(&self) -> u64 {
        let most = self
            .values
            .iter()
            .map(|v| {
                if self.stacked {
                    v.iter().sum()
                } else {
                    v.iter().copied().max().unwrap_or(0)
                }
            })
            .max()
            .unwrap_or(0);
        // Room above the tallest bar, and never an empty axis.
        (most + most / 10).max(self.at_least).max(1)
    }
}

/// Wraps plotters' SVG in the attributes the page needs: scaled to its box, named by `title`.
fn finish(svg: &str, id: &str, title: &str, class: &str) -> Markup {
    let body = svg.find('>').map(|i| &svg[i + 1..]).unwrap_or(svg);
    let view_box = svg
        .find("viewBox=\"")
        .and_then(|i| {
            svg[i + 9..]
                .find('"')
                .map(|j| svg[i + 9..i + 9 + j].to_owned())
        })
        .unwrap_or_default();
    let escaped = html! { (title) }.into_string();
    PreEscaped(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{class}\" viewBox=\"{view_box}\" \
         role=\"img\" aria-labelledby=\"{id}-title\" preserveAspectRatio=\"xMinYMin meet\">\
         <title id=\"{id}-title\">{escaped}</title>{body}"
    ))
}

fn draw<F>(id: &str, title: &str, class: &str, size: (u32, u32), paint: F) -> Markup
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
{
    fonts();
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|_| paint(&root))
            .and_then(|_| root.present().map_err(|e| e.to_string()))
    };
    match drawn {
        Ok(()) => finish(&svg, id, title, class),
        Err(e) => {
            tracing::error!(chart = id, error = %e, "a chart could not be drawn");
            html! {}
        }
    }
}

/// The end of the axis of `n` categories: plotters counts both ends of a range of whole
/// numbers, so `0..n - 1` makes `n` segments; a range of one point (`0..0`) would draw every bar
/// without width, so one category gets an empty segment beside it.
fn last_point(n: u32) -> u32 {
    n.saturating_sub(1).max(1)
}

/// One coloured piece of a bar: a series' value in a category, from `from` to `to` along the
/// value axis, and where it stands among the category's pieces.
struct Piece {
    category: u32,
    series: usize,
    /// How many series a category has.
    of: u32,
    stacked: bool,
    from: u64,
    to: u64,
}

impl Piece {
    /// The margins (before, after) across the bar: `gap` on each side when stacked; side by side,
    /// each series takes its share of `room` too.
    fn margins(&self, room: u32, gap: u32) -> (u32, u32) {
        if self.stacked {
            return (gap, gap);
        }
        let share = room / self.of;
        let s = self.series as u32;
        (gap + s * share, gap + (self.of - 1 - s) * share)
    }
}

/// Every non-empty piece of `bars`: stacked one on another, or side by side from nought.
fn segments<'b>(bars: &'b Bars<'_>) -> impl Iterator<Item = Piece> + 'b {
    bars.values.iter().enumerate().flat_map(move |(c, values)| {
        let of = values.len().max(1) as u32;
        let mut base = 0u64;
        values.iter().enumerate().filter_map(move |(series, v)| {
            let from = if bars.stacked { base } else { 0 };
            base += v;
            (*v > 0).then_some(Piece {
                category: c as u32,
                series,
                of,
                stacked: bars.stacked,
                from,
                to: from + v,
            })
        })
    })
}

/// A piece filled with palette colour `colour`, and the same outlined in white, so that two
/// neighbouring colours are never told apart by hue alone; `margin` is (top, bottom, left,
/// right) in pixels.
fn filled_and_outlined<C: Clone>(
    corners: [C; 2],
    colour_index: usize,
    (top, bottom, left, right): (u32, u32, u32, u32),
) -> [Rectangle<C>; 2] {
    let mut fill = Rectangle::new(corners.clone(), colour(colour_index).filled());
    fill.set_margin(top, bottom, left, right);
    let mut edge = Rectangle::new(corners, WHITE.stroke_width(1));
    edge.set_margin(top, bottom, left, right);
    [fill, edge]
}

fn segment_of(v: &SegmentValue<u32>) -> Option<usize> {
    match v {
        SegmentValue::CenterOf(i) => Some(*i as usize),
        _ => None,
    }
}

/// Vertical bars, one per category (months, left to right): drawn for a wide page and for a
/// phone.
pub fn columns(id: &str, title: &str, bars: &Bars<'_>) -> Markup {
    html! {
        (columns_at(id, title, bars, WIDE))
        (columns_at(&format!("{id}-narrow"), title, bars, NARROW))
    }
}

fn columns_at(id: &str, title: &str, bars: &Bars<'_>, size: Size) -> Markup {
    let n = bars.categories.len().max(1) as u32;
    let top = bars.top();
    // At most `size.labels` labels along the bottom: every other month of a two-year period.
    let every = (n as usize).div_ceil(size.labels).max(1);
    draw(
        id,
        title,
        size.class,
        (size.width, size.width / 2),
        |root| {
            let mut chart = ChartBuilder::on(root)
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(64)
                .build_cartesian_2d((0u32..last_point(n)).into_segmented(), 0u64..top)
                .map_err(|e| e.to_string())?;
            let labels = |v: &SegmentValue<u32>| {
                segment_of(v)
                    .filter(|i| i % every == 0)
                    .and_then(|i| bars.categories.get(i).cloned())
                    .unwrap_or_default()
            };
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n as usize)
                .x_label_formatter(&labels)
                .y_desc(bars.unit)
                .label_style((FONT, size.font).into_font().color(&TEXT))
                .axis_desc_style((FONT, size.font).into_font().color(&TEXT))
                .light_line_style(TRANSPARENT)
                .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
                .draw()
                .map_err(|e| e.to_string())?;
            let mut rects = Vec::new();
            for seg in segments(bars) {
                let c = seg.category;
                // Side by side: each series a share of the room left of 36 px a category.
                let (left, right) = seg.margins((size.width / n / 2).min(36), 4);
                rects.extend(filled_and_outlined(
                    [
                        (SegmentValue::Exact(c), seg.from),
                        (SegmentValue::Exact(c + 1), seg.to),
                    ],
                    bars.colours[seg.series],
                    (0, 0, left, right),
                ));
            }
            chart.draw_series(rects).map_err(|e| e.to_string())?;
            Ok(())
        },
    )
}

/// Horizontal bars, one per category (top to bottom), for long category names: drawn for a wide
/// page and for a phone.
pub fn rows(id: &str, title: &str, bars: &Bars<'_>) -> Markup {
    html! {
        (rows_at(id, title, bars, WIDE))
        (rows_at(&format!("{id}-narrow"), title, bars, NARROW))
    }
}

fn rows_at(id: &str, title: &str, bars: &Bars<'_>, size: Size) -> Markup {
    let n = bars.categories.len().max(1) as u32;
    let top = bars.top();
    // One row per segment of the axis (one category has an empty one beside it: `last_point`).
    let height = 56 + 40 * (last_point(n) + 1);
    let names: Vec<String> = bars
        .categories
        .iter()
        .map(|c| shortened(c, size.name_chars))
        .collect();
    // Room for the longest name (about 8 px a character at this size), within bounds.
    let longest = names.iter().map(|c| c.chars().count()).max().unwrap_or(0) as u32;
    let label_room = (longest * 8 + 20).clamp(48, size.width * 4 / 9);
    draw(id, title, size.class, (size.width, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(label_room)
            .build_cartesian_2d(0u64..top, (0u32..last_point(n)).into_segmented())
            .map_err(|e| e.to_string())?;
        // Categories read from the top: the first at the top.
        let labels = |v: &SegmentValue<u32>| {
            segment_of(v)
                .filter(|i| *i < n as usize)
                .and_then(|i| names.get(n as usize - 1 - i).cloned())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n as usize)
            .y_label_formatter(&labels)
            .x_desc(bars.unit)
            .label_style((FONT, size.font).into_font().color(&TEXT))
            .axis_desc_style((FONT, size.font).into_font().color(&TEXT))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()
            .map_err(|e| e.to_string())?;
        let mut rects = Vec::new();
        for seg in segments(bars) {
            let row = n - 1 - seg.category;
            let (upper, lower) = seg.margins(28, 6);
            rects.extend(filled_and_outlined(
                [
                    (seg.from, SegmentValue::Exact(row)),
                    (seg.to, SegmentValue::Exact(row + 1)),
                ],
                bars.colours[seg.series],
                (upper, lower, 0, 0),
            ));
        }
        chart.draw_series(rects).map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// The legend of a chart: each series' colour and name, as text on the page (translated,
/// readable at any width).
pub fn legend(names: &[(&str, usize)]) -> Markup {
    html! {
        ul class="chart-legend" {
            @for (name, c) in names {
                li { span class={ "swatch swatch-" (c % PALETTE.len()) } aria-hidden="true" {} (name) }
            }
        }
    }
}
