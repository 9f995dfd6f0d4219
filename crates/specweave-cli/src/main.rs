//! The `specweave` command line: one subcommand group per stage of an increment.
//!
//! Each group lives in its own module under `commands/`; `main` only parses and dispatches,
//! and maps errors to exit codes (1 for a failed check such as validation, 2 for errors).

mod commands;
mod progress;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Spec-driven machine learning increments.
#[derive(Debug, Parser)]
#[command(name = "specweave", version, about, propagate_version = true)]
struct Cli {
    /// Log filter (error, warn, info, debug, trace, or per crate); also read from RUST_LOG.
    /// By default warnings, plus the pipeline's task progress.
    #[arg(long, global = true, default_value = "warn,specweave=info")]
    log: String,

    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cli.log));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(progress::StderrAboveBars)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .with_target(false)
        .init();
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(2)
        }
    }
}
