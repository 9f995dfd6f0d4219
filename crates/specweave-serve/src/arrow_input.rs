//! Arrow record batches as inference input: each row becomes a [`Record`] and then takes the
//! same schema checks as JSON records, so both inputs share one set of rules.

use crate::error::{Result, ServeError};
use crate::inference::Record;
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float64Type};
use arrow::record_batch::RecordBatch;
use serde_json::Value;

/// The rows of a record batch as records; nulls become JSON nulls.
///
/// Numbers (any integer or float type) become JSON numbers, booleans booleans, strings
/// strings, and timestamps or dates RFC 3339 text in UTC.
pub fn records_from_batch(batch: &RecordBatch) -> Result<Vec<Record>> {
    let mut records: Vec<Record> = vec![Record::new(); batch.num_rows()];
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let name = field.name();
        let cast_error = |e: arrow::error::ArrowError| ServeError::Input {
            row: 0,
            field: name.clone(),
            rule: "type_mismatch",
            message: format!("column of type {} cannot be read: {e}", field.data_type()),
        };
        let values: Vec<Value> = match column.data_type() {
            DataType::Boolean => {
                let array = column.as_boolean();
                (0..array.len())
                    .map(|i| {
                        if array.is_null(i) {
                            Value::Null
                        } else {
                            Value::Bool(array.value(i))
                        }
                    })
                    .collect()
            }
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                let cast = arrow::compute::cast(column, &DataType::Utf8).map_err(cast_error)?;
                let array = cast.as_string::<i32>();
                (0..array.len())
                    .map(|i| {
                        if array.is_null(i) {
                            Value::Null
                        } else {
                            Value::String(array.value(i).to_owned())
                        }
                    })
                    .collect()
            }
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => {
                let millis = arrow::compute::cast(
                    column,
                    &DataType::Timestamp(arrow::datatypes::TimeUnit::Millisecond, None),
                )
                .and_then(|a| arrow::compute::cast(&a, &DataType::Int64))
                .map_err(cast_error)?;
                let array = millis.as_primitive::<arrow::datatypes::Int64Type>();
                (0..array.len())
                    .map(|i| {
                        if array.is_null(i) {
                            return Ok(Value::Null);
                        }
                        chrono::DateTime::from_timestamp_millis(array.value(i))
                            .map(|t| Value::String(t.to_rfc3339()))
                            .ok_or_else(|| ServeError::Input {
                                row: i,
                                field: name.clone(),
                                rule: "out_of_range",
                                message: format!(
                                    "{} ms is not a representable time",
                                    array.value(i)
                                ),
                            })
                    })
                    .collect::<Result<_>>()?
            }
            t if t.is_numeric() => {
                let cast = arrow::compute::cast(column, &DataType::Float64).map_err(cast_error)?;
                let array = cast.as_primitive::<Float64Type>();
                (0..array.len())
                    .map(|i| {
                        if array.is_null(i) {
                            Value::Null
                        } else {
                            serde_json::Number::from_f64(array.value(i))
                                .map_or(Value::Null, Value::Number)
                        }
                    })
                    .collect()
            }
            other => {
                return Err(ServeError::Input {
                    row: 0,
                    field: name.clone(),
                    rule: "type_mismatch",
                    message: format!("Arrow type {other} is not a supported input type"),
                });
            }
        };
        for (record, value) in records.iter_mut().zip(values) {
            record.insert(name.clone(), value);
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, BooleanArray, Float32Array, Int64Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn columns_become_record_fields_with_nulls() -> Result<(), Box<dyn std::error::Error>> {
        let batch = RecordBatch::try_from_iter([
            (
                "amount",
                Arc::new(Float32Array::from(vec![Some(1.5), None])) as ArrayRef,
            ),
            ("age", Arc::new(Int64Array::from(vec![30, 40])) as ArrayRef),
            (
                "plan",
                Arc::new(StringArray::from(vec!["pro", "basic"])) as ArrayRef,
            ),
            (
                "active",
                Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef,
            ),
        ])?;
        let records = records_from_batch(&batch)?;
        assert_eq!(records.len(), 2);
        assert_eq!(records[0]["amount"], 1.5);
        assert_eq!(records[1]["amount"], Value::Null);
        assert_eq!(records[1]["age"], 40.0);
        assert_eq!(records[0]["plan"], "pro");
        assert_eq!(records[1]["active"], false);
        Ok(())
    }
}
