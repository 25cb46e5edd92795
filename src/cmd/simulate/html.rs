//! `--format html`: one self-contained page (no script, no external resource): the
//! summary, the tables of the Markdown report, and SVG plots drawn by `plotters` — a
//! funnel per workflow and segment membership over time (steps, with the legend as a list
//! beside the plot, so it never covers a line). Every contract or traffic text
//! in the page goes through `escape::html`; in the plots, labels have their control and
//! invisible characters made visible (`escape::terminal`) and plotters escapes the markup
//! characters.

use std::fmt::Write as _;

use plotters::prelude::*;
use trackc_codegen::escape::{html, terminal};
use trackc_codegen::ir::Ir;
use trackc_codegen::simulate::Report;

use super::utc;

/// Segments drawn in the membership plot (the most populous; the tables list all).
const MAX_SERIES: usize = 12;
/// Workflow funnels drawn.
const MAX_FUNNELS: usize = 64;

fn label(s: &str) -> String {
    terminal::escape(&trackc_codegen::validate::bounds::clip(s, 60)).into_owned()
}

/// The stages of a funnel, left to right.
const STAGES: usize = 6;

/// A workflow's funnel: bars for triggered, entered, exited, still waiting, sent and sent
/// after conversion, one slot each.
fn funnel(name: &str, w: &trackc_codegen::simulate::WorkflowStats) -> String {
    let bars: [(&str, u64); STAGES] = [
        ("triggered", w.triggered),
        ("entered", w.entered),
        ("exited", w.exited),
        ("waiting", w.waiting),
        ("sent", w.sent),
        ("after conversion", w.sent_after_conversion),
    ];
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 260)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(label(name), ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            // plotters' integer ranges include their end: `0..n - 1` is n slots.
            .build_cartesian_2d((0..STAGES - 1).into_segmented(), 0u64..max + max / 10 + 1);
        if let Ok(mut chart) = chart {
            let _ = chart
                .configure_mesh()
                .disable_x_mesh()
                .x_label_formatter(&|x| match x {
                    SegmentValue::CenterOf(i) => bars.get(*i).map_or("", |b| b.0).to_owned(),
                    _ => String::new(),
                })
                .draw();
            let _ = chart.draw_series(bars.iter().enumerate().map(|(i, (_, n))| {
                let color = if i == STAGES - 1 { RED } else { BLUE };
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0),
                        (SegmentValue::Exact(i + 1), *n),
                    ],
                    color.mix(0.6).filled(),
                );
                bar.set_margin(0, 0, 8, 8);
                bar
            }));
        }
        let _ = root.present();
    }
    svg
}

/// A membership plot: the SVG, and the drawn segments with their colours (the legend is
/// the page's own list beside it, so it never covers a line).
struct MembershipPlot {
    svg: String,
    series: Vec<(String, RGBColor)>,
    /// Segments that never had a member in the window (listed in the table, not drawn).
    empty: usize,
    /// Segments that had members, past the [`MAX_SERIES`] largest (not drawn either).
    beyond: usize,
}

/// Members of each segment over time, as steps: a count holds until the next sample.
fn membership(r: &Report) -> Option<MembershipPlot> {
    let m = &r.membership;
    if m.times.len() < 2 {
        return None;
    }
    let mut series: Vec<(&String, &Vec<u64>)> = m
        .segments
        .iter()
        .filter(|(_, v)| v.iter().any(|&n| n > 0))
        .collect();
    let empty = m.segments.len() - series.len();
    if series.is_empty() {
        return None;
    }
    series.sort_by_key(|(name, v)| (std::cmp::Reverse(v.iter().max().copied()), *name));
    let beyond = series.len().saturating_sub(MAX_SERIES);
    series.truncate(MAX_SERIES);
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter())
        .max()
        .copied()
        .unwrap_or(0)
        .max(1);
    let (t0, t1) = (m.times[0], *m.times.last().expect("two times"));
    let mut svg = String::new();
    let mut drawn = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 420)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption("segment members over time", ("sans-serif", 18))
            .margin(10)
            // Room for the last time label, centred on the right edge.
            .margin_right(70)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(t0..t1.max(t0 + 1), 0u64..max + max / 10 + 1);
        if let Ok(mut chart) = chart {
            let _ = chart
                .configure_mesh()
                .x_labels(4)
                .x_label_formatter(&|t| utc(*t)[..16].to_owned())
                .draw();
            for (i, (name, v)) in series.iter().enumerate() {
                let (r, g, b) = Palette99::pick(i).rgb();
                let color = RGBColor(r, g, b);
                let mut points = Vec::with_capacity(2 * v.len());
                for (k, (&t, &n)) in m.times.iter().zip(v.iter()).enumerate() {
                    if k > 0 {
                        points.push((t, v[k - 1]));
                    }
                    points.push((t, n));
                }
                if chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))
                    .is_ok()
                {
                    drawn.push((name.to_string(), color));
                }
            }
        }
        let _ = root.present();
    }
    Some(MembershipPlot {
        svg,
        series: drawn,
        empty,
        beyond,
    })
}

/// The page.
pub fn page(ir: &Ir, r: &Report) -> String {
    let e = |s: &str| html::escape(s).into_owned();
    let mut s = String::new();
    let title = format!("trackc simulate: {}", ir.name);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{}</title>\n<style>\nbody{{font-family:sans-serif;margin:2em;max-width:1100px}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.25em .6em}}\
         td.n{{text-align:right}}.bad{{color:#b00}}figure{{display:inline-block;margin:.5em}}\
         .plot{{display:flex;align-items:flex-start;flex-wrap:wrap}}.legend{{list-style:none;padding:0;margin:2.5em 0 0 1em}}\
         .legend li{{margin:.2em 0}}.swatch{{display:inline-block;width:1.4em;height:.3em;margin-right:.5em;vertical-align:middle}}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        e(&title),
        e(&title)
    );
    let span = match (r.start, r.end) {
        (Some(a), Some(b)) => format!(" from {} to {}", utc(a), utc(b)),
        _ => String::new(),
    };
    let unattributed = match r.unattributed {
        0 => String::new(),
        n => format!(", {n} naming no person"),
    };
    let after_until = match r.after_until {
        0 => String::new(),
        n => format!(", {n} after <code>--until</code>"),
    };
    let _ = writeln!(
        s,
        "<p>{} records{span}: {} operations simulated, {} rejected by validate{unattributed}{after_until}; {} people.</p>",
        r.records, r.simulated, r.rejected.count, r.people
    );
    let _ = writeln!(
        s,
        "<table><tr><th>messages sent after conversion</th><th>duplicate keys</th><th>backfill enrolments</th><th>fragmented people</th><th>events out of order</th></tr>\
         <tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></table>",
        r.sent_after_conversion_total(),
        r.duplicates,
        r.backfill_enrolments,
        r.fragmented_people,
        r.out_of_order
    );
    s.push_str("<h2>Workflows</h2>\n<table><tr><th>workflow</th><th>triggered</th><th>entered</th><th>not in audience</th><th>exited</th><th>left audience</th><th>waiting</th><th>sent</th><th>sent after conversion</th></tr>\n");
    for (name, w) in &r.workflows {
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            e(name),
            w.triggered,
            w.entered,
            w.not_in_audience,
            w.exited,
            w.left_audience,
            w.waiting,
            w.sent,
            w.sent_after_conversion
        );
    }
    s.push_str("</table>\n<h2>Funnels</h2>\n");
    if r.workflows.len() > MAX_FUNNELS {
        let _ = writeln!(
            s,
            "<p class=\"empty\">The first {MAX_FUNNELS} workflows by name are drawn; the table above has all {}.</p>",
            r.workflows.len()
        );
    }
    for (name, w) in r.workflows.iter().take(MAX_FUNNELS) {
        if w.entered == 0 {
            // Nothing to draw: say so, with why the triggers did not start a journey.
            let _ = writeln!(
                s,
                "<p class=\"empty\"><code>{}</code>: nobody entered ({} triggered, {} not in the audience, {} already waiting).</p>",
                e(name),
                w.triggered,
                w.not_in_audience,
                w.already_waiting
            );
        } else {
            let _ = writeln!(s, "<figure>{}</figure>", funnel(name, w));
        }
    }
    if let Some(plot) = membership(r) {
        let _ = write!(
            s,
            "<h2>Segment membership</h2>\n<div class=\"plot\"><figure>{}</figure>\n<ul class=\"legend\">",
            plot.svg
        );
        for (name, c) in &plot.series {
            let _ = write!(
                s,
                "<li><span class=\"swatch\" style=\"background:#{:02x}{:02x}{:02x}\"></span><code>{}</code></li>",
                c.0,
                c.1,
                c.2,
                e(name)
            );
        }
        s.push_str("</ul></div>\n");
        if plot.empty > 0 {
            let _ = writeln!(
                s,
                "<p class=\"empty\">{} segment{} had no members and {} not drawn.</p>",
                plot.empty,
                if plot.empty == 1 { "" } else { "s" },
                if plot.empty == 1 { "is" } else { "are" }
            );
        }
        if plot.beyond > 0 {
            let _ = writeln!(
                s,
                "<p class=\"empty\">{} more segment{} had members; only the {MAX_SERIES} largest are drawn (the table above has them all).</p>",
                plot.beyond,
                if plot.beyond == 1 { "" } else { "s" },
            );
        }
    }
    // With its count, as the other formats head it; a list only when there is one.
    let total = r.sent_after_conversion_total();
    let _ = writeln!(s, "<h2>Sent after conversion: {total}</h2>");
    if r.sent_after_conversion.is_empty() {
        s.push_str("<p>No message went out after its person converted.</p>\n");
    } else {
        s.push_str("<ul>\n");
        for m in &r.sent_after_conversion {
            let _ = writeln!(
                s,
                "<li class=\"bad\"><code>{}</code> to <code>{}</code> (trigger line {}, sent {}): missed <code>{}</code>, {}: {}</li>",
                e(&m.workflow),
                e(&m.person),
                m.trigger_line,
                utc(m.sent_at),
                e(&m.missed_exit),
                m.reason.as_str(),
                html::message(&m.why)
            );
        }
        s.push_str("</ul>\n");
    }
    s.push_str("<h2>Segments</h2>\n<table><tr><th>segment</th><th>entered</th><th>left</th><th>members at the end</th></tr>\n");
    for (name, g) in &r.segments {
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            e(name),
            g.entered,
            g.left,
            g.members
        );
    }
    s.push_str("</table>\n<h2>Data promises</h2>\n");
    // A list only when there is something in it.
    let mut items = String::new();
    for d in &r.duplicate_list {
        let _ = writeln!(
            items,
            "<li>duplicate: line {} <code>{}</code> for <code>{}</code> repeats line {}</li>",
            d.line,
            e(&d.event),
            e(&d.person),
            d.first_line
        );
    }
    for b in &r.backfill_list {
        let _ = writeln!(
            items,
            "<li>backfill: line {} enrolled <code>{}</code> in <code>{}</code> ({} s old)</li>",
            b.line,
            e(&b.person),
            e(&b.workflow),
            b.age
        );
    }
    for f in &r.fragment_list {
        let _ = writeln!(
            items,
            "<li>fragmented: <code>{}</code> and <code>{}</code> ({})</li>",
            e(&f.person),
            e(&f.other),
            f.kind.replace('_', " ")
        );
    }
    for x in &r.rejected.listed {
        let _ = writeln!(
            items,
            "<li>rejected by validate: line {} <code>{}</code> {}</li>",
            x.line,
            x.code.id(),
            e(&x.message)
        );
    }
    if items.is_empty() {
        s.push_str("<p>No duplicate keys, backfill enrolments, fragmented people or records validate rejects.</p>\n");
    } else {
        let _ = write!(s, "<ul>\n{items}</ul>\n");
    }
    if r.unattributed > 0 {
        let _ = writeln!(
            s,
            "<h2>Naming no person: {}</h2>\n<p>Customer.io takes them, but no profile sees them: not simulated.</p>\n<ul>",
            r.unattributed
        );
        for x in &r.unattributed_list {
            let at = super::text::place(x.line, x.index);
            let what = match &x.event {
                Some(ev) => format!("event <code>{}</code>", e(ev)),
                None => "not an event of the contract".to_owned(),
            };
            let _ = writeln!(s, "<li>{at}: {what}</li>");
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use trackc_codegen::simulate::WorkflowStats;

    /// The bars of a funnel: `(x, width)` of every filled rectangle but the background.
    fn bars(svg: &str) -> Vec<(f64, f64)> {
        let attr = |tag: &str, name: &str| -> Option<f64> {
            let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
            tag[at..].split('"').next()?.parse().ok()
        };
        svg.split("<rect")
            .skip(1)
            .filter_map(|tag| {
                let tag = &tag[..tag.find("/>")?];
                // The bars are drawn translucent (`mix(0.6)`); the background is opaque.
                tag.contains("opacity=\"0.6\"")
                    .then(|| Some((attr(tag, "x")?, attr(tag, "width")?)))
                    .flatten()
            })
            .collect()
    }

    /// One bar per stage, in equal slots that fill the plot: the last bar ends one
    /// slot's margin from the right edge (it used to leave an empty seventh slot).
    #[test]
    fn a_funnel_has_one_bar_per_stage_and_no_empty_slot() {
        let w = WorkflowStats {
            triggered: 10,
            entered: 8,
            exited: 2,
            waiting: 1,
            sent: 5,
            sent_after_conversion: 3,
            ..WorkflowStats::default()
        };
        let svg = funnel("w", &w);
        let bars = bars(&svg);
        assert_eq!(bars.len(), STAGES, "{svg}");
        let (first, last) = (bars[0], bars[STAGES - 1]);
        // Slots of equal width, bars inset by 8 px on each side.
        let slot = first.1 + 16.0;
        let left = first.0 - 8.0;
        let right = last.0 + last.1 + 8.0;
        assert!(
            (right - left - slot * STAGES as f64).abs() <= STAGES as f64,
            "{bars:?}"
        );
        // The plot's right edge: the image width less the chart's margin (10 px).
        assert!(
            (550.0 - right).abs() <= 2.0,
            "the last slot ends at {right}: {bars:?}"
        );
    }

    /// Segments with members are drawn as steps (a count holds until the next sample);
    /// segments that never had one are counted, not drawn.
    #[test]
    fn membership_draws_steps_and_leaves_out_empty_segments() {
        let mut r = Report::default();
        r.membership.times = vec![0, 100, 200];
        r.membership.segments.insert("busy".into(), vec![0, 2, 1]);
        r.membership.segments.insert("never".into(), vec![0, 0, 0]);
        let plot = membership(&r).expect("a plot");
        assert_eq!(plot.empty, 1);
        let names: Vec<&str> = plot.series.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["busy"]);
        // The series is the one line drawn 2 px wide (the axes and ticks are 1 px).
        let line = plot
            .svg
            .split("<polyline")
            .find(|l| l[..l.find("/>").unwrap()].contains("stroke-width=\"2\""))
            .expect("a line");
        let points = line
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let ys: Vec<f64> = points
            .split_whitespace()
            .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        // 0 → (hold 0) → 2 → (hold 2) → 1: five points, each change vertical.
        assert_eq!(ys.len(), 5, "{points}");
        assert_eq!((ys[0], ys[2], ys[4]), (ys[1], ys[3], ys[4]));
        let xs: Vec<&str> = points
            .split_whitespace()
            .map(|p| p.split(',').next().unwrap())
            .collect();
        assert_eq!((xs[1], xs[3]), (xs[2], xs[4]), "{points}");
        r.membership.segments.remove("busy");
        assert!(membership(&r).is_none(), "nothing to draw");
    }

    /// Past the largest [`MAX_SERIES`] segments with members, the others are counted.
    #[test]
    fn segments_past_the_largest_are_counted() {
        let mut r = Report::default();
        r.membership.times = vec![0, 100];
        for i in 0..MAX_SERIES as u64 + 3 {
            let name = format!("s{i:02}");
            r.membership.segments.insert(name, vec![0, i + 1]);
        }
        let plot = membership(&r).expect("a plot");
        assert_eq!(
            (plot.series.len(), plot.beyond, plot.empty),
            (MAX_SERIES, 3, 0)
        );
        // The largest are drawn: s00, s01 and s02 (1 to 3 members) are not.
        assert!(
            plot.series
                .iter()
                .all(|(n, _)| !["s00", "s01", "s02"].contains(&n.as_str()))
        );
    }

    /// A workflow nobody entered gets a sentence, not an empty chart.
    #[test]
    fn a_workflow_nobody_entered_is_a_sentence() {
        let ir = trackc_codegen::check(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/contract"
        )))
        .unwrap()
        .ir
        .unwrap();
        let mut r = Report::default();
        let entered = WorkflowStats {
            triggered: 2,
            entered: 1,
            ..WorkflowStats::default()
        };
        let nobody = WorkflowStats {
            triggered: 3,
            not_in_audience: 3,
            ..WorkflowStats::default()
        };
        r.workflows.insert("a<b".into(), entered);
        r.workflows.insert("quiet".into(), nobody);
        let page = page(&ir, &r);
        assert_eq!(page.matches("<svg").count(), 1, "one funnel");
        assert!(page.contains(
            "<code>quiet</code>: nobody entered (3 triggered, 3 not in the audience, 0 already waiting)."
        ));
    }
}
