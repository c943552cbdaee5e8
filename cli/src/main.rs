//! The `admix` command-line program.

mod args;
mod blocks;
mod compare;
mod convert;
mod data;
mod demo;
mod diff;
mod emit;
mod figures;
mod fit;
#[cfg(test)]
mod fuzz;
mod iterations_plot;
mod job;
mod kmeans;
#[cfg(all(test, target_os = "linux"))]
mod mapped_memory;
mod model_cmds;
mod model_io;
mod online;
mod plot;
mod progress;
#[cfg(feature = "mpi")]
mod rsmpi;
mod select;
mod teach;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Automatic differentiation and Gaussian mixtures.
#[derive(Debug, Parser)]
#[command(name = "admix", version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The main job: x^3 divided differences against AD; Old Faithful by EM and by L-BFGS; plots.
    Demo(demo::DemoArgs),
    /// Derivatives of an expression by forward mode, reverse mode and divided differences.
    Diff(diff::DiffArgs),
    /// Fit a Gaussian mixture; print a summary, save the model, plot it.
    Fit(fit::FitArgs),
    /// Label data with a saved model's components.
    Predict(model_cmds::PredictArgs),
    /// Mean log-likelihood, BIC and AIC of data under a saved model.
    Score(model_cmds::ScoreArgs),
    /// Draw samples (and their components) from a saved model.
    Sample(model_cmds::SampleArgs),
    /// K-means clustering (Lloyd or mini-batch).
    Kmeans(kmeans::KMeansArgs),
    /// BIC and AIC for a range of component counts and covariance types.
    Select(select::SelectArgs),
    /// EM against a gradient method from the same start: table and plot.
    Compare(compare::CompareArgs),
    /// The lecture's demonstrations, one picture each: modes, noisy, means-only, hard-assignments.
    Teach(teach::TeachArgs),
    /// Stream a CSV file of any size into an .npy file, which later commands map instead of reading.
    Convert(convert::ConvertArgs),
    /// Print the shape and column names of a data set (CSV, .npy, or faithful / iris).
    Info(InfoArgs),
}

fn run(args: Args) -> anyhow::Result<()> {
    if !matches!(
        args.command,
        Command::Fit(_)
            | Command::Score(_)
            | Command::Select(_)
            | Command::Predict(_)
            | Command::Compare(_)
            | Command::Kmeans(_)
    ) {
        let name = std::env::args().nth(1).unwrap_or_default();
        job::single_process_only(&format!("admix {name}"))?;
    }
    match args.command {
        Command::Demo(a) => demo::run(&a)?,
        Command::Diff(a) => diff::run(&a)?,
        Command::Fit(a) => fit::run(&a)?,
        Command::Predict(a) => model_cmds::predict(&a)?,
        Command::Score(a) => model_cmds::score(&a)?,
        Command::Sample(a) => model_cmds::sample(&a)?,
        Command::Kmeans(a) => kmeans::run(&a)?,
        Command::Select(a) => select::run(&a)?,
        Command::Compare(a) => compare::run(&a)?,
        Command::Teach(a) => teach::run(&a)?,
        Command::Convert(a) => convert::run(&a)?,
        Command::Info(a) => info(&a)?,
    }
    Ok(())
}

/// Options of `admix info`.
#[derive(Debug, clap::Args)]
struct InfoArgs {
    #[command(flatten)]
    data: args::DataArgs,
    /// Print JSON (rows, columns) instead of text.
    #[arg(long)]
    json: bool,
}

fn info(args: &InfoArgs) -> anyhow::Result<()> {
    let d = args.data.load()?;
    if args.json {
        let value = serde_json::json!({
            "rows": d.x.nrows(),
            "columns": d.columns,
            "mapped": d.x.is_mapped(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("{} rows, columns: {}", d.x.nrows(), d.columns.join(", "));
    }
    Ok(())
}

fn main() -> ExitCode {
    restore_sigpipe();
    // Kept until main returns: under mpirun, MPI is finalised on drop.
    let _job = match job::start() {
        Ok(job) => job,
        Err(e) => {
            eprintln!("admix: error: cannot join the MPI job: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => return usage_error(e),
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Every rank fails together; rank 0 alone says why.
            if job::is_root() {
                eprintln!("admix: error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Help and version go to stdout as clap renders them; a usage mistake is
/// one line on stderr, like every other error of this program, and exit code 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if job::is_root() {
        eprintln!("admix: {} (see admix --help)", one_line(&e.to_string()));
    }
    ExitCode::from(2)
}

/// clap's message up to its usage section, on one line: the first line
/// alone can end in a colon with the missing argument on the next.
fn one_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    if parts.is_empty() {
        "invalid arguments".to_string()
    } else {
        parts.join(" ")
    }
}

/// Rust ignores SIGPIPE, so `admix ... | head` would panic on the closed
/// pipe; restore the default so the program ends quietly, as Unix tools do.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread or I/O exists;
    // SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
