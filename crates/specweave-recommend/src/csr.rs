//! A compressed sparse row matrix, the storage of user×item interactions and item neighbours.
//!
//! Hand-written rather than taken from a sparse-matrix crate because the recommenders only
//! need building from triplets, row access and transposition, and the layout is serialised
//! into model files as plain vectors.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// A sparse `n_rows × n_cols` matrix in CSR layout; columns within a row are sorted and unique.
///
/// ```
/// use specweave_recommend::CsrMatrix;
///
/// // (row, col, value); the duplicate (0, 1) is summed.
/// let m = CsrMatrix::from_triplets(2, 3, &[0, 1, 0], &[1, 2, 1], &[1.0, 2.0, 0.5])?;
/// assert_eq!(m.row(0), (&[1_u32][..], &[1.5_f32][..]));
/// assert_eq!(m.transpose().row(2), (&[1_u32][..], &[2.0_f32][..]));
/// # Ok::<(), specweave_recommend::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsrMatrix {
    n_rows: usize,
    n_cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl CsrMatrix {
    /// Builds a matrix from `(row, col, value)` triplets, summing duplicates.
    ///
    /// Fails when the slices differ in length or an index is out of range.
    pub fn from_triplets(
        n_rows: usize,
        n_cols: usize,
        rows: &[u32],
        cols: &[u32],
        values: &[f32],
    ) -> Result<CsrMatrix> {
        if rows.len() != cols.len() || rows.len() != values.len() {
            return Err(Error::InvalidInput(format!(
                "triplet slices differ in length: {} rows, {} cols, {} values",
                rows.len(),
                cols.len(),
                values.len()
            )));
        }
        if let Some((at, r)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| **r as usize >= n_rows)
        {
            return Err(Error::InvalidInput(format!(
                "row index {r} at triplet {at} is out of range for {n_rows} rows"
            )));
        }
        if let Some((at, c)) = cols
            .iter()
            .enumerate()
            .find(|(_, c)| **c as usize >= n_cols)
        {
            return Err(Error::InvalidInput(format!(
                "column index {c} at triplet {at} is out of range for {n_cols} columns"
            )));
        }
        // Counting sort by row, then sort and merge each row by column.
        let mut indptr = vec![0usize; n_rows + 1];
        for &r in rows {
            indptr[r as usize + 1] += 1;
        }
        for r in 0..n_rows {
            indptr[r + 1] += indptr[r];
        }
        let mut next = indptr.clone();
        let mut entries = vec![(0u32, 0f32); rows.len()];
        for ((&r, &c), &v) in rows.iter().zip(cols).zip(values) {
            let slot = &mut next[r as usize];
            entries[*slot] = (c, v);
            *slot += 1;
        }
        let mut out_indptr = Vec::with_capacity(n_rows + 1);
        let mut indices = Vec::with_capacity(entries.len());
        let mut merged = Vec::with_capacity(entries.len());
        out_indptr.push(0);
        for r in 0..n_rows {
            let row = &mut entries[indptr[r]..indptr[r + 1]];
            row.sort_unstable_by_key(|&(c, _)| c);
            for &(c, v) in row.iter() {
                if indices.len() > *out_indptr.last().unwrap_or(&0) && indices.last() == Some(&c) {
                    if let Some(last) = merged.last_mut() {
                        *last += v;
                    }
                } else {
                    indices.push(c);
                    merged.push(v);
                }
            }
            out_indptr.push(indices.len());
        }
        Ok(CsrMatrix {
            n_rows,
            n_cols,
            indptr: out_indptr,
            indices,
            values: merged,
        })
    }

    /// Builds a matrix from rows given as `(sorted unique columns, values)`; used by fitted
    /// models that compute each row separately.
    pub(crate) fn from_rows(n_cols: usize, rows: Vec<(Vec<u32>, Vec<f32>)>) -> CsrMatrix {
        let n_rows = rows.len();
        let nnz = rows.iter().map(|(c, _)| c.len()).sum();
        let mut indptr = Vec::with_capacity(n_rows + 1);
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        indptr.push(0);
        for (cols, vals) in rows {
            indices.extend(cols);
            values.extend(vals);
            indptr.push(indices.len());
        }
        CsrMatrix {
            n_rows,
            n_cols,
            indptr,
            indices,
            values,
        }
    }

    /// The same sparsity pattern with every value set to one.
    pub(crate) fn with_unit_values(&self) -> CsrMatrix {
        CsrMatrix {
            values: vec![1.0; self.values.len()],
            ..self.clone()
        }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Columns and values of row `r` (empty for a row index out of range).
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        match (self.indptr.get(r), self.indptr.get(r + 1)) {
            (Some(&start), Some(&end)) => (&self.indices[start..end], &self.values[start..end]),
            _ => (&[], &[]),
        }
    }

    /// The value at `(r, c)`, or `None` when it is not stored.
    pub fn get(&self, r: usize, c: u32) -> Option<f32> {
        let (cols, vals) = self.row(r);
        cols.binary_search(&c).ok().map(|at| vals[at])
    }

    /// The transposed matrix (columns become rows), still with sorted columns.
    pub fn transpose(&self) -> CsrMatrix {
        let mut indptr = vec![0usize; self.n_cols + 1];
        for &c in &self.indices {
            indptr[c as usize + 1] += 1;
        }
        for c in 0..self.n_cols {
            indptr[c + 1] += indptr[c];
        }
        let mut next = indptr.clone();
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0f32; self.nnz()];
        // Rows are visited in order, so every transposed row comes out sorted.
        for r in 0..self.n_rows {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let slot = &mut next[c as usize];
                indices[*slot] = r as u32;
                values[*slot] = v;
                *slot += 1;
            }
        }
        CsrMatrix {
            n_rows: self.n_cols,
            n_cols: self.n_rows,
            indptr,
            indices,
            values,
        }
    }

    /// Checks the invariants after deserialising, so a corrupt model file cannot cause
    /// out-of-bounds access later.
    pub(crate) fn validate(&self, algorithm: &str) -> Result<()> {
        let corrupt = |message: String| Error::CorruptState {
            algorithm: algorithm.to_owned(),
            message,
        };
        if self.indptr.len() != self.n_rows + 1
            || self.indptr.first() != Some(&0)
            || self.indptr.last() != Some(&self.indices.len())
            || self.indices.len() != self.values.len()
        {
            return Err(corrupt(
                "sparse matrix offsets do not match its entries".into(),
            ));
        }
        for r in 0..self.n_rows {
            if self.indptr[r] > self.indptr[r + 1] {
                return Err(corrupt(format!("sparse row {r} has negative length")));
            }
            let (cols, _) = self.row(r);
            if cols.windows(2).any(|w| w[0] >= w[1])
                || cols.last().is_some_and(|&c| c as usize >= self.n_cols)
            {
                return Err(corrupt(format!(
                    "sparse row {r} has unsorted or out-of-range columns"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triplets_are_merged_and_sorted() -> Result<()> {
        let m =
            CsrMatrix::from_triplets(3, 4, &[2, 0, 2, 2], &[3, 1, 0, 3], &[1.0, 2.0, 3.0, 4.0])?;
        assert_eq!(m.nnz(), 3);
        assert_eq!(m.row(2), (&[0, 3][..], &[3.0, 5.0][..]));
        assert_eq!(m.row(1), (&[][..], &[][..]));
        assert_eq!(m.get(0, 1), Some(2.0));
        assert_eq!(m.get(0, 2), None);
        let t = m.transpose();
        assert_eq!((t.n_rows(), t.n_cols()), (4, 3));
        assert_eq!(t.row(3), (&[2][..], &[5.0][..]));
        assert_eq!(t.transpose(), m);
        m.validate("test")?;
        Ok(())
    }

    #[test]
    fn out_of_range_triplets_are_rejected() {
        let err = CsrMatrix::from_triplets(2, 2, &[0, 2], &[0, 0], &[1.0, 1.0]);
        assert!(matches!(err, Err(Error::InvalidInput(m)) if m.contains("row index 2")));
    }
}
