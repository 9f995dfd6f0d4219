//! What the examples share: where the increment goes and how its result is printed.

use std::path::PathBuf;

/// `--root DIR` from the command line, else a fresh folder under the system's temp dir;
/// the remaining arguments are returned in order.
pub fn root_and_args(example: &str) -> Result<(PathBuf, Vec<String>), Box<dyn std::error::Error>> {
    let mut root = None;
    let mut rest = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => root = Some(PathBuf::from(args.next().ok_or("--root needs a folder")?)),
            "-h" | "--help" => {
                println!("usage: {example} [--root DIR] [ARGS]");
                std::process::exit(0);
            }
            _ => rest.push(arg),
        }
    }
    let root = match root {
        Some(root) => root,
        None => std::env::temp_dir().join(format!(
            "specweave-{example}-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs()
        )),
    };
    std::fs::create_dir_all(&root)?;
    Ok((root, rest))
}

/// Prints where the completion summary is, or why the increment stayed open.
pub fn report_closing(
    summary: Option<&std::path::Path>,
    increment_dir: &std::path::Path,
    started: std::time::Instant,
) {
    let seconds = started.elapsed().as_secs_f64();
    match summary {
        Some(path) => println!("completed in {seconds:.1} s: {}", path.display()),
        None => println!(
            "not completed ({seconds:.1} s): validation failed; see {}",
            increment_dir
                .join(specweave::spec::VALIDATION_REPORT)
                .display()
        ),
    }
}
