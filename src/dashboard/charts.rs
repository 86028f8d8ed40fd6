//! Inline SVG charts. Geometry is computed left to right and mirrored for right-to-left
//! pages by [`Canvas`], so bars grow from the reading side and labels stay unmirrored.

use super::text::{self, esc};
use super::{DashboardData, Lang};
use crate::domain::Level;
use crate::report::{CampaignReport, LevelMovement};
use std::fmt::Write;

const CURRENT: &str = "#2563eb";
const TARGET: &str = "#f59e0b";
const CLIMB: (u8, u8, u8) = (22, 163, 74);
const DROP: (u8, u8, u8) = (220, 38, 38);

struct Canvas {
    w: f64,
    h: f64,
    rtl: bool,
    body: String,
}

impl Canvas {
    fn new(w: f64, h: f64, lang: Lang) -> Self {
        Canvas {
            w,
            h,
            rtl: lang == Lang::Fa,
            body: String::new(),
        }
    }

    fn x(&self, x: f64, width: f64) -> f64 {
        if self.rtl { self.w - x - width } else { x }
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, title: &str) {
        let x = self.x(x, w);
        let _ = write!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="2" fill="{fill}"><title>{}</title></rect>"#,
            esc(title)
        );
    }

    /// `anchor`: "start" or "end" in reading order.
    fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, s: &str) {
        let x = self.x(x, 0.0);
        let anchor = match (self.rtl, anchor) {
            (true, "start") => "end",
            (true, "end") => "start",
            (_, a) => a,
        };
        let _ = write!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" class="{class}">{}</text>"#,
            esc(s)
        );
    }

    /// The SVG keeps a left-to-right coordinate system (its `direction` would otherwise flip
    /// `text-anchor` on RTL pages); mirroring is done above, per element.
    fn finish(self, label: &str) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}" direction="ltr" style="direction:ltr">{}</svg>"#,
            esc(label),
            self.w,
            self.h,
            self.w,
            self.h,
            self.body
        )
    }
}

/// Customers per current level (thick bar) against target level (thin bar).
pub fn level_funnel(d: &DashboardData, lang: Lang) -> String {
    let t = text::words(lang);
    let (label_w, bar_max, row_h) = (120.0, 380.0, 46.0);
    let mut c = Canvas::new(600.0, row_h * 5.0 + 34.0, lang);
    let max = d
        .current
        .iter()
        .chain(&d.target)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    for (i, level) in Level::ALL.iter().enumerate() {
        let y = 8.0 + i as f64 * row_h;
        let (cur, tgt) = (d.current[i], d.target[i]);
        c.text(0.0, y + 20.0, "start", "lvl", text::level(lang, *level));
        let wc = (cur as f64 / max * bar_max).max(1.0);
        let wt = (tgt as f64 / max * bar_max).max(1.0);
        let name = text::level(lang, *level);
        c.rect(
            label_w,
            y + 4.0,
            wc,
            18.0,
            CURRENT,
            &format!("{name}: {} {}", t.current, cur),
        );
        c.rect(
            label_w,
            y + 25.0,
            wt,
            8.0,
            TARGET,
            &format!("{name}: {} {}", t.target, tgt),
        );
        c.text(
            label_w + wc + 6.0,
            y + 18.0,
            "start",
            "num",
            &text::int(lang, cur),
        );
        c.text(
            label_w + wt + 6.0,
            y + 34.0,
            "start",
            "num small",
            &text::int(lang, tgt),
        );
    }
    let ly = row_h * 5.0 + 20.0;
    c.rect(label_w, ly - 10.0, 14.0, 10.0, CURRENT, t.current);
    c.text(label_w + 20.0, ly, "start", "small", t.current);
    c.rect(label_w + 110.0, ly - 10.0, 14.0, 10.0, TARGET, t.target);
    c.text(label_w + 130.0, ly, "start", "small", t.target);
    c.finish(t.funnel)
}

fn shade((r, g, b): (u8, u8, u8), share: f64) -> String {
    // From a pale tint (few moves) to the full colour (the most moves).
    let a = 0.15 + 0.85 * share.clamp(0.0, 1.0);
    let mix = |v: u8| (255.0 - (255.0 - v as f64) * a).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(r), mix(g), mix(b))
}

/// A from × to matrix of level changes: climbs green, drops red, darker = more.
pub fn transitions(m: &LevelMovement, lang: Lang) -> String {
    let t = text::words(lang);
    let (head_w, cell_w, cell_h) = (110.0, 92.0, 40.0);
    let mut c = Canvas::new(head_w + cell_w * 5.0 + 4.0, cell_h * 6.0 + 4.0, lang);
    let mx = m.matrix();
    let max = mx.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    c.text(0.0, 24.0, "start", "small", t.from_to);
    for (j, to) in Level::ALL.iter().enumerate() {
        let x = head_w + j as f64 * cell_w;
        c.text(
            x + cell_w / 2.0,
            24.0,
            "middle",
            "lvl small",
            text::level(lang, *to),
        );
    }
    for (i, from) in Level::ALL.iter().enumerate() {
        let y = cell_h * (i as f64 + 1.0);
        c.text(
            0.0,
            y + 25.0,
            "start",
            "lvl small",
            text::level(lang, *from),
        );
        for (j, to) in Level::ALL.iter().enumerate() {
            let x = head_w + j as f64 * cell_w;
            let n = mx[i][j];
            let fill = if i == j {
                "#e5e7eb".to_string()
            } else if n == 0 {
                "#f9fafb".to_string()
            } else if j > i {
                shade(CLIMB, n as f64 / max)
            } else {
                shade(DROP, n as f64 / max)
            };
            let title = format!(
                "{} → {}: {n}",
                text::level(lang, *from),
                text::level(lang, *to)
            );
            c.rect(x + 2.0, y + 2.0, cell_w - 4.0, cell_h - 4.0, &fill, &title);
            if i != j {
                let class = if n as f64 / max > 0.6 {
                    "num inv"
                } else {
                    "num"
                };
                c.text(
                    x + cell_w / 2.0,
                    y + 25.0,
                    "middle",
                    class,
                    &text::int(lang, n),
                );
            }
        }
    }
    c.finish(t.transitions)
}

/// One campaign's funnel as horizontal bars: sent, delivered, opened, clicked, converted,
/// each as a share of sent.
pub fn campaign_funnel(r: &CampaignReport, lang: Lang) -> String {
    let t = text::words(lang);
    let steps = [
        (t.sent, r.sent, "#64748b"),
        (t.delivered, r.delivered, "#0ea5e9"),
        (t.opened, r.opened, CURRENT),
        (t.clicked, r.clicked, "#7c3aed"),
        (t.converted, r.converted, "#16a34a"),
    ];
    let (w, bar_h) = (200.0, 7.0);
    let mut c = Canvas::new(w, steps.len() as f64 * (bar_h + 2.0) + 2.0, lang);
    let base = r.sent.max(1) as f64;
    for (i, (name, n, fill)) in steps.iter().enumerate() {
        let share = (*n as f64 / base).min(1.0);
        let y = 1.0 + i as f64 * (bar_h + 2.0);
        c.rect(0.0, y, w, bar_h, "#f1f5f9", name);
        c.rect(
            0.0,
            y,
            (share * w).max(if *n > 0 { 1.0 } else { 0.0 }),
            bar_h,
            fill,
            &format!("{name}: {n}"),
        );
    }
    c.finish(&format!("{}: {}", t.campaign, r.campaign))
}
