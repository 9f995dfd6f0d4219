//! Writes the peer-comparison data sets and times specweave-eval on them, single-threaded.
//!
//! `cargo run --release -p specweave-eval --example eval_peer -- binary|ranking DIR [ROWS_OR_USERS]`
//! writes raw little-endian columns into DIR (`labels.f64`, `scores.f64`, or `users.u64`,
//! `items.u64`, `relevance.f64`, `scores.f64`) and prints one JSON object of
//! `{metric: {"value": v, "seconds": median seconds}}`. The Python peer scripts in
//! `benches/peers/` read both and compare.

use specweave_eval::classification::{average_precision, brier, log_loss, pr_auc, roc_auc};
use specweave_eval::ranking::{Gain, RankingInput, evaluate_ranking};
use specweave_eval::sort::{f64_key, radix_sort_u64};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

type BoxError = Box<dyn std::error::Error>;

fn write_column<T: Copy>(
    path: &Path,
    values: &[T],
    bytes: impl Fn(T) -> [u8; 8],
) -> Result<(), BoxError> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for &v in values {
        out.write_all(&bytes(v))?;
    }
    out.flush()?;
    Ok(())
}

/// Median wall time of `repeats` runs, and the last value.
fn timed<T>(repeats: usize, mut f: impl FnMut() -> T) -> (T, f64) {
    let mut times = Vec::with_capacity(repeats);
    let mut last = None;
    for _ in 0..repeats {
        let start = Instant::now();
        last = Some(std::hint::black_box(f()));
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (last.expect("at least one repeat"), times[times.len() / 2])
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: eval_peer binary|ranking DIR [ROWS_OR_USERS]";
    let kind = args.get(1).ok_or(usage)?;
    let dir = Path::new(args.get(2).ok_or(usage)?);
    std::fs::create_dir_all(dir)?;
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let mut results: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    let mut record = |name: &str, value: f64, seconds: Option<f64>| {
        results.insert(
            name.to_string(),
            serde_json::json!({ "value": value, "seconds": seconds }),
        );
    };
    match kind.as_str() {
        "binary" => {
            let n: usize = args.get(3).map_or(Ok(10_000_000), |s| s.parse())?;
            let (labels, scores) = specweave_eval::synthetic::binary(n, 42);
            write_column(&dir.join("labels.f64"), &labels, f64::to_le_bytes)?;
            write_column(&dir.join("scores.f64"), &scores, f64::to_le_bytes)?;
            let (auc, t) = timed(5, || roc_auc(&labels, &scores, None));
            record("roc_auc", auc?, Some(t));
            let (ap, t) = timed(5, || average_precision(&labels, &scores, None));
            record("average_precision", ap?, Some(t));
            let (ll, t) = timed(5, || log_loss(&labels, &scores, None));
            record("log_loss", ll?, Some(t));
            record("pr_auc", pr_auc(&labels, &scores, None)?, None);
            record("brier", brier(&labels, &scores, None)?, None);
            let (_, t) = timed(5, || {
                let mut keys: Vec<u64> = scores.iter().map(|&s| f64_key(s)).collect();
                radix_sort_u64(&mut keys);
                keys
            });
            record("sort_bound_radix", f64::NAN, Some(t));
            let (_, t) = timed(3, || {
                let mut v = scores.clone();
                v.sort_unstable_by(f64::total_cmp);
                v
            });
            record("sort_bound_std", f64::NAN, Some(t));
        }
        "ranking" => {
            let n_users: usize = args.get(3).map_or(Ok(100_000), |s| s.parse())?;
            let (users, items, relevance, scores) =
                specweave_eval::synthetic::ranking(n_users, 100, 7);
            write_column(&dir.join("users.u64"), &users, u64::to_le_bytes)?;
            write_column(&dir.join("items.u64"), &items, u64::to_le_bytes)?;
            write_column(&dir.join("relevance.f64"), &relevance, f64::to_le_bytes)?;
            write_column(&dir.join("scores.f64"), &scores, f64::to_le_bytes)?;
            let input = RankingInput {
                users: &users,
                items: &items,
                relevance: &relevance,
                scores: &scores,
            };
            let (r, t) = timed(5, || {
                single.install(|| evaluate_ranking(&input, 10, Gain::Linear))
            });
            let r = r?;
            for (name, value) in r.named() {
                record(&name, value, Some(t));
            }
            let (_, t_all) = timed(5, || evaluate_ranking(&input, 10, Gain::Linear));
            record("all_threads", f64::NAN, Some(t_all));
        }
        other => return Err(format!("unknown data set `{other}`; {usage}").into()),
    }
    println!("{}", serde_json::to_string(&results)?);
    Ok(())
}
