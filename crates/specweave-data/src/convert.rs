//! Conversions from Arrow arrays to the plain values the data stage computes with.

use crate::error::{DataError, Result};
use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit};
use std::path::PathBuf;

/// What kind of values a column holds, seen through the data stage's eyes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Integer,
    Float,
    Boolean,
    Text,
    Timestamp,
}

pub(crate) fn kind_of(data_type: &DataType) -> ValueKind {
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => ValueKind::Integer,
        DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Decimal128(..) => {
            ValueKind::Float
        }
        DataType::Boolean => ValueKind::Boolean,
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => ValueKind::Timestamp,
        DataType::Dictionary(_, value) => kind_of(value),
        _ => ValueKind::Text,
    }
}

/// A numeric, boolean or timestamp (as ms) column as `f64`; nulls become NaN.
pub(crate) fn to_f64(array: &ArrayRef, column: &str) -> Result<Vec<f64>> {
    let kind = kind_of(array.data_type());
    if kind == ValueKind::Timestamp {
        return Ok(to_millis(array)?
            .into_iter()
            .map(|v| v.map_or(f64::NAN, |v| v as f64))
            .collect());
    }
    if kind == ValueKind::Text {
        return Err(DataError::InvalidValue {
            path: PathBuf::from("<table>"),
            column: column.to_owned(),
            row: 0,
            reason: format!(
                "text column ({}) where numbers were expected",
                array.data_type()
            ),
        });
    }
    let cast = arrow::compute::cast(array, &DataType::Float64)?;
    let values = cast.as_primitive::<Float64Type>();
    Ok((0..values.len())
        .map(|i| {
            if values.is_null(i) {
                f64::NAN
            } else {
                values.value(i)
            }
        })
        .collect())
}

/// A timestamp or date column as milliseconds since the Unix epoch; numbers are taken as
/// milliseconds already, text as RFC 3339 / ISO dates.
pub(crate) fn to_millis(array: &ArrayRef) -> Result<Vec<Option<i64>>> {
    let (target, scale): (DataType, fn(i64) -> i64) = match array.data_type() {
        DataType::Timestamp(unit, _) => (
            DataType::Int64,
            match unit {
                TimeUnit::Second => |v| v.saturating_mul(1000),
                TimeUnit::Millisecond => |v| v,
                TimeUnit::Microsecond => |v| v.div_euclid(1000),
                TimeUnit::Nanosecond => |v| v.div_euclid(1_000_000),
            },
        ),
        DataType::Date32 => (DataType::Int64, |v| v.saturating_mul(86_400_000)),
        DataType::Date64 => (DataType::Int64, |v| v),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => {
            let parsed =
                arrow::compute::cast(array, &DataType::Timestamp(TimeUnit::Millisecond, None))?;
            return to_millis(&parsed);
        }
        _ => (DataType::Int64, |v| v),
    };
    let raw = match array.data_type() {
        DataType::Timestamp(..) | DataType::Date64 => arrow::compute::cast(
            &arrow::compute::cast(array, &DataType::Int64).or_else(|_| {
                arrow::compute::cast(array, &DataType::Timestamp(TimeUnit::Millisecond, None))
            })?,
            &target,
        )?,
        DataType::Date32 => {
            arrow::compute::cast(&arrow::compute::cast(array, &DataType::Int32)?, &target)?
        }
        _ => arrow::compute::cast(array, &target)?,
    };
    let ints = raw.as_primitive::<Int64Type>();
    Ok((0..ints.len())
        .map(|i| (!ints.is_null(i)).then(|| scale(ints.value(i))))
        .collect())
}

/// Any column as a text array (numbers formatted, dictionaries expanded).
pub(crate) fn to_string_array(array: &ArrayRef) -> Result<StringArray> {
    let cast = arrow::compute::cast(array, &DataType::Utf8)?;
    Ok(cast.as_string::<i32>().clone())
}

/// Any column as borrowed text values; kept as an owned array inside the wrapper.
pub(crate) fn to_strings(array: &ArrayRef) -> Result<OwnedStrings> {
    Ok(OwnedStrings(to_string_array(array)?))
}

/// Text values of a column, owned.
pub(crate) struct OwnedStrings(pub(crate) StringArray);

impl OwnedStrings {
    pub(crate) fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        self.0.iter()
    }
}
