//! `specweave serve`: serve a registered model version over HTTP, optionally A/B against another.

use super::CommandError;
use specweave::serve::{DEFAULT_BODY_LIMIT, ModelBundle, Service};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `specweave serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The model version folder, e.g. `.specweave/increments/0042-x/models/model-v3`.
    pub model: PathBuf,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// A second model version to A/B test against the first.
    #[arg(long, requires = "split")]
    pub ab: Option<PathBuf>,
    /// Share of users (by hashed user id) routed to the `--ab` version, in [0, 1].
    #[arg(long, requires = "ab")]
    pub split: Option<f64>,
    /// Largest accepted request body in bytes.
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
}

/// Loads the bundles and serves until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> Result<ExitCode, CommandError> {
    let primary = ModelBundle::load(&args.model)?;
    let mut versions = primary.version();
    let mut service = Service::new(primary).body_limit(args.body_limit);
    if let (Some(other), Some(split)) = (&args.ab, args.split) {
        let candidate = ModelBundle::load(other)?;
        versions = format!(
            "{versions}, {} for {:.1}% of users",
            candidate.version(),
            split * 100.0
        );
        service = service.ab(candidate, split)?;
    }
    service.run_until_signal(SocketAddr::new(args.host, args.port), |addr| {
        println!("serving {versions} on http://{addr}");
    })?;
    println!("stopped");
    Ok(ExitCode::SUCCESS)
}
