//! Loaders for user–item interactions (CSV/Parquet with named columns, MovieLens `u.data`,
//! the typed-header `.inter` format) and for time series.

use crate::convert;
use crate::error::{DataError, Result};
use crate::table::{ReadOptions, open_batches};
use ndarray::Array1;
use specweave_core::{Interactions, Series};
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Which columns of a CSV or Parquet file hold the user, item, rating and timestamp.
///
/// ```
/// use specweave_data::{InteractionOptions, load_interactions};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("events.csv");
/// std::fs::write(&path, "user,item,stars,ts\nann,m1,4,1000\nbob,m1,5,2000\nann,m2,3,3000\n")?;
/// let options = InteractionOptions::new("user", "item").rating("stars").timestamp("ts");
/// let log = load_interactions(&path, &options)?;
/// assert_eq!((log.n_users(), log.n_items(), log.len()), (2, 2, 3));
/// assert_eq!(log.weights(), [4.0, 5.0, 3.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct InteractionOptions {
    user: String,
    item: String,
    rating: Option<String>,
    timestamp: Option<String>,
}

impl InteractionOptions {
    /// The user and item columns; without a rating every event weighs 1 (implicit feedback).
    pub fn new(user: impl Into<String>, item: impl Into<String>) -> Self {
        InteractionOptions {
            user: user.into(),
            item: item.into(),
            rating: None,
            timestamp: None,
        }
    }

    /// The rating or weight column.
    pub fn rating(mut self, column: impl Into<String>) -> Self {
        self.rating = Some(column.into());
        self
    }

    /// The timestamp column (dates, timestamps, ISO text or numbers taken as they are);
    /// without one every event has timestamp 0.
    pub fn timestamp(mut self, column: impl Into<String>) -> Self {
        self.timestamp = Some(column.into());
        self
    }
}

/// Loads interactions from a CSV or Parquet file with named columns.
pub fn load_interactions(
    path: impl AsRef<Path>,
    options: &InteractionOptions,
) -> Result<Interactions> {
    let path = path.as_ref();
    let stream = open_batches(path, &ReadOptions::default())?;
    let names = stream.column_names();
    let index = |column: &str| -> Result<usize> {
        names
            .iter()
            .position(|n| n == column)
            .ok_or_else(|| DataError::MissingColumn {
                path: path.to_path_buf(),
                column: column.to_owned(),
                available: names.join(", "),
            })
    };
    let user = index(&options.user)?;
    let item = index(&options.item)?;
    let rating = options.rating.as_deref().map(index).transpose()?;
    let timestamp = options.timestamp.as_deref().map(index).transpose()?;
    let mut builder = Interactions::builder();
    let mut row = 0usize;
    let bad = |column: &str, row: usize, reason: &str| DataError::InvalidValue {
        path: path.to_path_buf(),
        column: column.to_owned(),
        row,
        reason: reason.to_owned(),
    };
    for batch in stream {
        let batch = batch?;
        let users = convert::to_strings(batch.column(user))?;
        let items = convert::to_strings(batch.column(item))?;
        let ratings = match rating {
            Some(i) => Some(convert::to_f64(batch.column(i), &names[i])?),
            None => None,
        };
        let times = match timestamp {
            Some(i) => Some(convert::to_millis(batch.column(i))?),
            None => None,
        };
        for (offset, (u, it)) in users.iter().zip(items.iter()).enumerate() {
            let r = row + offset;
            let u = u
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad(&options.user, r, "empty user id"))?;
            let it = it
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad(&options.item, r, "empty item id"))?;
            let weight = match &ratings {
                Some(values) => {
                    let v = values[offset];
                    if !v.is_finite() {
                        return Err(bad(
                            options.rating.as_deref().unwrap_or("rating"),
                            r,
                            "missing or non-finite rating",
                        ));
                    }
                    v
                }
                None => 1.0,
            };
            let time = match &times {
                Some(values) => values[offset].ok_or_else(|| {
                    bad(
                        options.timestamp.as_deref().unwrap_or("timestamp"),
                        r,
                        "missing timestamp",
                    )
                })?,
                None => 0,
            };
            builder.push(u, it, weight, time)?;
        }
        row += batch.num_rows();
    }
    if row == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "a header but no interactions".into(),
        });
    }
    Ok(builder.build())
}

fn read_lines(path: &Path) -> Result<Vec<(usize, String)>> {
    let file = std::fs::File::open(path).map_err(DataError::io(path))?;
    let mut lines = Vec::new();
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        let bytes = line.map_err(DataError::io(path))?;
        let text = String::from_utf8(bytes).map_err(|e| DataError::Csv {
            path: path.to_path_buf(),
            line: Some(i + 1),
            column: None,
            message: format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        })?;
        let text = text.trim_end_matches('\r').to_owned();
        if !text.trim().is_empty() {
            lines.push((i + 1, text));
        }
    }
    if lines.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "no lines".into(),
        });
    }
    Ok(lines)
}

fn parse_field<T: std::str::FromStr>(
    path: &Path,
    line: usize,
    column: &str,
    text: &str,
) -> Result<T> {
    text.trim().parse().map_err(|_| DataError::Csv {
        path: path.to_path_buf(),
        line: Some(line),
        column: Some(column.to_owned()),
        message: format!("`{text}` does not parse as a number"),
    })
}

/// Loads MovieLens `u.data`: tab-separated `user item rating timestamp` lines without a
/// header, timestamps in Unix seconds (converted to ms).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("u.data");
/// std::fs::write(&path, "196\t242\t3\t881250949\n186\t302\t3\t891717742\n")?;
/// let log = specweave_data::load_movielens(&path)?;
/// assert_eq!(log.timestamps()[0], 881_250_949_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_movielens(path: impl AsRef<Path>) -> Result<Interactions> {
    let path = path.as_ref();
    let mut builder = Interactions::builder();
    for (line, text) in read_lines(path)? {
        let fields: Vec<&str> = text.split('\t').collect();
        if fields.len() != 4 {
            return Err(DataError::Csv {
                path: path.to_path_buf(),
                line: Some(line),
                column: None,
                message: format!("wrong number of fields: expected 4 got {}", fields.len()),
            });
        }
        let rating: f64 = parse_field(path, line, "rating", fields[2])?;
        let seconds: i64 = parse_field(path, line, "timestamp", fields[3])?;
        builder.push(fields[0], fields[1], rating, seconds.saturating_mul(1000))?;
    }
    Ok(builder.build())
}

/// Loads the `.inter` format: a tab-separated header of `name:type` fields (types `token`,
/// `float`, ...) naming `user_id`, `item_id` and optionally `rating` and `timestamp`
/// (Unix seconds, converted to ms), then one interaction per line.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("ml.inter");
/// std::fs::write(&path, "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t4.0\t100\n")?;
/// let log = specweave_data::load_inter(&path)?;
/// assert_eq!((log.user_ids()[0].as_str(), log.weights()[0]), ("1", 4.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_inter(path: impl AsRef<Path>) -> Result<Interactions> {
    let path = path.as_ref();
    let lines = read_lines(path)?;
    let (header_line, header) = &lines[0];
    let names: Vec<&str> = header
        .split('\t')
        .map(|f| f.split(':').next().unwrap_or(f).trim())
        .collect();
    let position = |name: &str| names.iter().position(|n| *n == name);
    let missing = |name: &str| DataError::Csv {
        path: path.to_path_buf(),
        line: Some(*header_line),
        column: Some(name.to_owned()),
        message: format!(
            "the typed header has no `{name}` field (it has {})",
            names.join(", ")
        ),
    };
    let user = position("user_id").ok_or_else(|| missing("user_id"))?;
    let item = position("item_id").ok_or_else(|| missing("item_id"))?;
    let rating = position("rating");
    let timestamp = position("timestamp");
    let mut builder = Interactions::builder();
    for (line, text) in &lines[1..] {
        let fields: Vec<&str> = text.split('\t').collect();
        if fields.len() != names.len() {
            return Err(DataError::Csv {
                path: path.to_path_buf(),
                line: Some(*line),
                column: None,
                message: format!(
                    "wrong number of fields: expected {} got {}",
                    names.len(),
                    fields.len()
                ),
            });
        }
        let weight = match rating {
            Some(i) => parse_field(path, *line, "rating", fields[i])?,
            None => 1.0,
        };
        let time = match timestamp {
            Some(i) => {
                let seconds: f64 = parse_field(path, *line, "timestamp", fields[i])?;
                (seconds * 1000.0).round() as i64
            }
            None => 0,
        };
        builder.push(fields[user], fields[item], weight, time)?;
    }
    Ok(builder.build())
}

/// Loads a time series from a CSV or Parquet file: a timestamp column and a value column,
/// ordered by time (timestamps must be distinct).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("sales.csv");
/// std::fs::write(&path, "day,sales\n2024-01-02,12\n2024-01-01,10\n")?;
/// let series = specweave_data::load_series(&path, "day", "sales")?;
/// assert_eq!(series.values().to_vec(), vec![10.0, 12.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_series(path: impl AsRef<Path>, timestamp: &str, value: &str) -> Result<Series> {
    let path = path.as_ref();
    let stream = open_batches(path, &ReadOptions::default())?;
    let names = stream.column_names();
    let index = |column: &str| -> Result<usize> {
        names
            .iter()
            .position(|n| n == column)
            .ok_or_else(|| DataError::MissingColumn {
                path: path.to_path_buf(),
                column: column.to_owned(),
                available: names.join(", "),
            })
    };
    let (t, v) = (index(timestamp)?, index(value)?);
    let mut points: Vec<(i64, f64)> = Vec::new();
    for batch in stream {
        let batch = batch?;
        let times = convert::to_millis(batch.column(t))?;
        let values = convert::to_f64(batch.column(v), value)?;
        for (time, y) in times.into_iter().zip(values) {
            let row = points.len();
            let time = time.ok_or_else(|| DataError::InvalidValue {
                path: path.to_path_buf(),
                column: timestamp.to_owned(),
                row,
                reason: "missing timestamp".into(),
            })?;
            if !y.is_finite() {
                return Err(DataError::InvalidValue {
                    path: path.to_path_buf(),
                    column: value.to_owned(),
                    row,
                    reason: "missing or non-finite value".into(),
                });
            }
            points.push((time, y));
        }
    }
    if points.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "a header but no observations".into(),
        });
    }
    points.sort_by_key(|p| p.0);
    let (times, values): (Vec<i64>, Vec<f64>) = points.into_iter().unzip();
    Ok(Series::new(times, Array1::from(values))?)
}
