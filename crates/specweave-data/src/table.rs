//! Reading CSV and Parquet files as streams of Arrow record batches, and a small table type
//! other crates use to write and read named `f64`/string columns as Parquet.

use crate::convert;
use crate::error::{DataError, Result};
use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow::csv::reader::Format;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The on-disk formats this crate reads, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Delimited text with a header row (`.csv` is comma-, `.tsv` tab-separated).
    Csv {
        /// Field separator.
        delimiter: u8,
    },
    /// Apache Parquet.
    Parquet,
}

impl FileFormat {
    /// The format named by the extension of `path` (`.csv`, `.tsv`, `.parquet`, `.pq`).
    pub fn from_path(path: &Path) -> Result<FileFormat> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") | Some("txt") => Ok(FileFormat::Csv { delimiter: b',' }),
            Some("tsv") => Ok(FileFormat::Csv { delimiter: b'\t' }),
            Some("parquet") | Some("pq") => Ok(FileFormat::Parquet),
            _ => Err(DataError::UnknownFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// How files are read into batches.
///
/// ```
/// use specweave_data::ReadOptions;
/// let options = ReadOptions::default().batch_size(4096).infer_rows(10_000);
/// assert_eq!(options.get_batch_size(), 4096);
/// ```
#[derive(Debug, Clone)]
pub struct ReadOptions {
    batch_size: usize,
    infer_rows: usize,
    text_columns: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            batch_size: 65_536,
            infer_rows: 10_000,
            text_columns: false,
        }
    }
}

impl ReadOptions {
    /// Rows per record batch (default 65,536); memory use grows with it.
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    /// CSV rows read to infer column types (default 10,000); later rows must conform.
    pub fn infer_rows(mut self, rows: usize) -> Self {
        self.infer_rows = rows.max(1);
        self
    }

    /// Read every CSV column as text, so a checker sees each raw value (used by validation).
    pub fn text_columns(mut self, yes: bool) -> Self {
        self.text_columns = yes;
        self
    }

    /// The configured batch size.
    pub fn get_batch_size(&self) -> usize {
        self.batch_size
    }
}

type BoxedBatches = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// A file read batch by batch; memory holds one batch at a time.
pub struct BatchStream {
    path: PathBuf,
    schema: SchemaRef,
    inner: BoxedBatches,
}

impl std::fmt::Debug for BatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchStream")
            .field("path", &self.path)
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl BatchStream {
    /// The Arrow schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Column names in file order.
    pub fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }
}

impl Iterator for BatchStream {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

/// Opens a CSV or Parquet file (format from the extension) as a stream of record batches.
///
/// Fails with a clear error on an empty file, a truncated Parquet file or an unreadable header.
///
/// ```
/// use specweave_data::{ReadOptions, open_batches};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("d.csv");
/// std::fs::write(&path, "x,y\n1,a\n2,b\n3,c\n")?;
/// let stream = open_batches(&path, &ReadOptions::default().batch_size(2))?;
/// assert_eq!(stream.column_names(), ["x", "y"]);
/// let sizes: Vec<usize> = stream.map(|b| b.map(|b| b.num_rows())).collect::<Result<_, _>>()?;
/// assert_eq!(sizes, [2, 1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_batches(path: impl AsRef<Path>, options: &ReadOptions) -> Result<BatchStream> {
    let path = path.as_ref();
    match FileFormat::from_path(path)? {
        FileFormat::Csv { delimiter } => open_csv(path, delimiter, options),
        FileFormat::Parquet => open_parquet(path, options),
    }
}

fn open_csv(path: &Path, delimiter: u8, options: &ReadOptions) -> Result<BatchStream> {
    let mut file = File::open(path).map_err(DataError::io(path))?;
    let len = file.metadata().map_err(DataError::io(path))?.len();
    if len == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "no header row".into(),
        });
    }
    sniff_utf8_header(path)?;
    let format = Format::default()
        .with_header(true)
        .with_delimiter(delimiter);
    let header = read_header(path, delimiter)?;
    let (inferred, _) = format
        .infer_schema(BufReader::new(&mut file), Some(options.infer_rows))
        .map_err(|e| DataError::from_csv(path, e, &header, 1))?;
    let schema = if options.text_columns {
        Schema::new(
            inferred
                .fields()
                .iter()
                .map(|f| Field::new(f.name(), DataType::Utf8, true))
                .collect::<Vec<_>>(),
        )
    } else {
        // Columns that were all empty in the inferred rows may hold text later.
        Schema::new(
            inferred
                .fields()
                .iter()
                .map(|f| match f.data_type() {
                    DataType::Null => Field::new(f.name(), DataType::Utf8, true),
                    other => Field::new(f.name(), other.clone(), true),
                })
                .collect::<Vec<_>>(),
        )
    };
    if schema.fields().is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "no columns in the header".into(),
        });
    }
    let schema = Arc::new(schema);
    file.seek(SeekFrom::Start(0)).map_err(DataError::io(path))?;
    let reader = arrow::csv::ReaderBuilder::new(schema.clone())
        .with_format(format)
        .with_batch_size(options.batch_size)
        .build(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| DataError::from_csv(path, e, &[], 1))?;
    let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let owned_path = path.to_path_buf();
    let inner = reader
        .map(move |batch| batch.map_err(|e| DataError::from_csv(&owned_path, e, &columns, 1)));
    Ok(BatchStream {
        path: path.to_path_buf(),
        schema,
        inner: Box::new(inner),
    })
}

fn open_parquet(path: &Path, options: &ReadOptions) -> Result<BatchStream> {
    let file = File::open(path).map_err(DataError::io(path))?;
    if file.metadata().map_err(DataError::io(path))?.len() == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "zero bytes".into(),
        });
    }
    let parquet_error = |e: parquet::errors::ParquetError| DataError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error)?;
    let schema = builder.schema().clone();
    let reader = builder
        .with_batch_size(options.batch_size)
        .build()
        .map_err(parquet_error)?;
    let owned_path = path.to_path_buf();
    let inner = reader.map(move |batch| {
        batch.map_err(|e| DataError::Parquet {
            path: owned_path.clone(),
            message: e.to_string(),
        })
    });
    Ok(BatchStream {
        path: path.to_path_buf(),
        schema,
        inner: Box::new(inner),
    })
}

/// The column names of a CSV header, for error messages that name columns.
fn read_header(path: &Path, delimiter: u8) -> Result<Vec<String>> {
    let mut first = Vec::new();
    let file = File::open(path).map_err(DataError::io(path))?;
    std::io::BufRead::read_until(&mut BufReader::new(file), b'\n', &mut first)
        .map_err(DataError::io(path))?;
    let line = String::from_utf8_lossy(&first);
    Ok(line
        .trim_end_matches(['\r', '\n'])
        .split(char::from(delimiter))
        .map(|name| name.trim_matches('"').to_owned())
        .collect())
}

/// Checks that `path` starts with bytes a CSV reader can decode, so invalid UTF-8 in the header
/// is reported before type inference.
pub(crate) fn sniff_utf8_header(path: &Path) -> Result<()> {
    let mut head = Vec::new();
    File::open(path)
        .map_err(DataError::io(path))?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(DataError::io(path))?;
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    if let Err(e) = std::str::from_utf8(first_line) {
        return Err(DataError::Csv {
            path: path.to_path_buf(),
            line: Some(1),
            column: None,
            message: format!("invalid UTF-8 in the header at byte {}", e.valid_up_to()),
        });
    }
    Ok(())
}

/// A small in-memory table of named columns, for writing results (SHAP values, samples,
/// predictions) to Parquet and reading them back.
///
/// ```
/// use specweave_data::{Table, read_table, write_parquet};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("shap.parquet");
/// let table = Table::builder()
///     .strings("id", ["a", "b"])
///     .f64("age", vec![0.25, -0.5])
///     .build()?;
/// write_parquet(&path, &table)?;
/// let back = read_table(&path)?;
/// assert_eq!(back.f64_column("age")?, vec![0.25, -0.5]);
/// assert_eq!(back.string_column("id")?, vec![Some("a".to_string()), Some("b".to_string())]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    batch: RecordBatch,
}

impl Table {
    /// Starts building a table column by column.
    pub fn builder() -> TableBuilder {
        TableBuilder::default()
    }

    /// Wraps an Arrow record batch.
    pub fn from_batch(batch: RecordBatch) -> Table {
        Table { batch }
    }

    /// The table as an Arrow record batch.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Column names in order.
    pub fn column_names(&self) -> Vec<String> {
        self.batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    fn column(&self, name: &str) -> Result<&ArrayRef> {
        self.batch
            .column_by_name(name)
            .ok_or_else(|| DataError::MissingColumn {
                path: PathBuf::from("<table>"),
                column: name.to_owned(),
                available: self.column_names().join(", "),
            })
    }

    /// A numeric, boolean or timestamp column as `f64` (nulls become NaN).
    pub fn f64_column(&self, name: &str) -> Result<Vec<f64>> {
        convert::to_f64(self.column(name)?, name)
    }

    /// Any column as text (nulls are `None`).
    pub fn string_column(&self, name: &str) -> Result<Vec<Option<String>>> {
        let strings = convert::to_strings(self.column(name)?)?;
        Ok(strings.iter().map(|s| s.map(str::to_owned)).collect())
    }
}

/// Builder for [`Table`]; columns must all have the same length.
#[derive(Debug, Default, Clone)]
pub struct TableBuilder {
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
}

impl TableBuilder {
    /// Adds a `f64` column (NaN stays NaN; use [`TableBuilder::optional_f64`] for nulls).
    pub fn f64(mut self, name: impl Into<String>, values: impl Into<Vec<f64>>) -> Self {
        self.fields.push(Field::new(name, DataType::Float64, false));
        self.columns
            .push(Arc::new(Float64Array::from(values.into())) as ArrayRef);
        self
    }

    /// Adds a `f64` column with nulls.
    pub fn optional_f64(mut self, name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        self.fields.push(Field::new(name, DataType::Float64, true));
        self.columns
            .push(Arc::new(Float64Array::from(values)) as ArrayRef);
        self
    }

    /// Adds a text column.
    pub fn strings<I, S>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let array: StringArray = values
            .into_iter()
            .map(|s| Some(s.as_ref().to_owned()))
            .collect();
        self.fields.push(Field::new(name, DataType::Utf8, false));
        self.columns.push(Arc::new(array) as ArrayRef);
        self
    }

    /// Adds an Arrow array as a column.
    pub fn array(mut self, name: impl Into<String>, array: ArrayRef) -> Self {
        self.fields.push(Field::new(
            name,
            array.data_type().clone(),
            array.null_count() > 0,
        ));
        self.columns.push(array);
        self
    }

    /// Checks lengths and names, and builds the table.
    pub fn build(self) -> Result<Table> {
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = self.fields.iter().find(|f| !seen.insert(f.name().clone())) {
            return Err(DataError::InvalidParams(format!(
                "column `{}` appears twice in the table",
                dup.name()
            )));
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(self.fields)), self.columns)?;
        Ok(Table { batch })
    }
}

/// Writes a table as a zstd-compressed Parquet file, through a temporary file and a rename so
/// an existing file is never left half-written.
pub fn write_parquet(path: impl AsRef<Path>, table: &Table) -> Result<()> {
    write_batches(
        path.as_ref(),
        table.batch.schema(),
        std::iter::once(Ok(table.batch.clone())),
    )
}

/// Writes record batches to a Parquet file atomically (temporary file, then rename).
pub fn write_batches(
    path: &Path,
    schema: SchemaRef,
    batches: impl IntoIterator<Item = Result<RecordBatch>>,
) -> Result<()> {
    let parquet_error = |e: parquet::errors::ParquetError| DataError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let tmp = temp_sibling(path);
    let result = (|| {
        let file = File::create(&tmp).map_err(DataError::io(&tmp))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(parquet_error)?;
        for batch in batches {
            writer.write(&batch?).map_err(parquet_error)?;
        }
        writer.close().map_err(parquet_error)?;
        std::fs::rename(&tmp, path).map_err(DataError::io(path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `contents` to `path` through a temporary file and a rename.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let tmp = temp_sibling(path);
    std::fs::write(&tmp, contents).map_err(DataError::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        DataError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    })
}

fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Reads a whole CSV or Parquet file into a [`Table`].
pub fn read_table(path: impl AsRef<Path>) -> Result<Table> {
    let stream = open_batches(path.as_ref(), &ReadOptions::default())?;
    let schema = stream.schema();
    let batches = stream.collect::<Result<Vec<_>>>()?;
    let batch = arrow::compute::concat_batches(&schema, &batches)?;
    Ok(Table { batch })
}
