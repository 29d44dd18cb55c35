//! The finite-difference error against the step size, as an SVG plot.
//!
//! For one component, the error `|D(h) - reference|` of the checker's finite-difference
//! estimate (central differences with Richardson extrapolation) is drawn on log-log axes
//! for steps from 1e-15 to 1, together with the two branches that explain its shape:
//! truncation, which falls as `h^4`, and round-off, which grows as `1/h`; and a vertical
//! mark at the step the checker chose. The plot is drawn with the `plotters` crate.

use plotters::prelude::*;

use crate::diag::error::{Error, ErrorKind, Result};

/// The data of a step-size plot.
#[derive(Clone, Debug)]
pub struct StepPlot {
    /// What the plot is about (the component), for its caption.
    pub title: String,
    /// `(h, error)` pairs, errors positive.
    pub errors: Vec<(f64, f64)>,
    /// The truncation branch, `(h, c h^2)`.
    pub truncation: Vec<(f64, f64)>,
    /// The round-off branch, `(h, eps |f| / h)`.
    pub roundoff: Vec<(f64, f64)>,
    /// The step the checker chose.
    pub chosen: f64,
}

/// Builds the data: `estimate(h)` is the checker's finite-difference estimate at step
/// h (Richardson-extrapolated central differences), `reference` the exact derivative,
/// and `chosen` the checker's step. The two branches are fitted to the ends of the
/// curve: truncation falls as `h^4` for the extrapolated difference, round-off grows as
/// `1/h`; they meet near the best step.
pub fn step_plot(
    title: String,
    estimate: impl Fn(f64) -> Option<f64>,
    reference: f64,
    chosen: f64,
) -> StepPlot {
    let mut errors = Vec::new();
    for k in 0..=90 {
        let h = 10f64.powf(-15.0 + 14.5 * k as f64 / 90.0);
        if let Some(d) = estimate(h) {
            let e = (d - reference).abs();
            if e > 0.0 && e.is_finite() {
                errors.push((h, e));
            }
        }
    }
    // Fit the branches at the ends: the last few points for truncation, the first few
    // for round-off (medians, so a lucky cancellation does not skew them).
    let median = |mut v: Vec<f64>| -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let n = errors.len();
    let c_trunc = median(
        errors[n.saturating_sub(4)..]
            .iter()
            .map(|(h, e)| e / h.powi(4))
            .collect(),
    );
    let c_round = median(errors[..n.min(12)].iter().map(|(h, e)| e * h).collect());
    let truncation = errors
        .iter()
        .map(|&(h, _)| (h, c_trunc * h.powi(4)))
        .collect();
    let roundoff = errors.iter().map(|&(h, _)| (h, c_round / h)).collect();
    StepPlot {
        title,
        errors,
        truncation,
        roundoff,
        chosen,
    }
}

/// Writes the plot as an SVG file.
pub fn write_svg(plot: &StepPlot, path: &std::path::Path) -> Result<()> {
    let draw = || -> std::result::Result<(), Box<dyn std::error::Error>> {
        let all: Vec<f64> = plot
            .errors
            .iter()
            .chain(&plot.truncation)
            .chain(&plot.roundoff)
            .map(|p| p.1)
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let measured: Vec<f64> = plot.errors.iter().map(|p| p.1).collect();
        let lo = measured
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .max(1e-300)
            / 100.0;
        let hi = all
            .iter()
            .copied()
            .fold(0.0, f64::max)
            .min(lo * 1e40)
            .max(lo * 10.0);
        let root = SVGBackend::new(path, (800, 560)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&plot.title, ("sans-serif", 20))
            .margin(20)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d((1e-15f64..1e-0f64).log_scale(), (lo..hi).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("step h")
            .y_desc("|finite difference - reference|")
            .x_label_formatter(&|v| format!("{v:.0e}"))
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()?;
        let clip = |v: &[(f64, f64)]| -> Vec<(f64, f64)> {
            v.iter()
                .copied()
                .filter(|p| p.1 >= lo && p.1 <= hi)
                .collect()
        };
        chart
            .draw_series(LineSeries::new(clip(&plot.errors), BLUE.stroke_width(2)))?
            .label("finite-difference error (Richardson)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
        chart
            .draw_series(LineSeries::new(clip(&plot.truncation), RED))?
            .label("truncation branch, ~ h^4")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
        chart
            .draw_series(LineSeries::new(clip(&plot.roundoff), GREEN))?
            .label("round-off branch, ~ 1/h")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN));
        chart
            .draw_series(LineSeries::new(
                vec![(plot.chosen, lo), (plot.chosen, hi)],
                BLACK,
            ))?
            .label("chosen step")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot write the plot to `{}`: {e}", path.display()),
        )
    })
}
