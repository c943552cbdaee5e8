//! Progress on stderr: bars for fits, spinners for long single steps.
//! indicatif hides both when stderr is not a terminal.

/// A bar over `total` steps named `unit`; the caller sets the log-likelihood
/// as its message.
pub fn progress_bar(label: &str, total: usize, unit: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
    let template = format!("{label} {{bar:30}} {{pos}}/{{len}} {unit}  {{msg}}");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// A spinner while `f` runs.
pub fn with_spinner<T>(message: &str, f: impl FnOnce() -> T) -> T {
    let bar = indicatif::ProgressBar::new_spinner().with_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let out = f();
    bar.finish_and_clear();
    out
}
