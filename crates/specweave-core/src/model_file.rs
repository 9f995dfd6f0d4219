//! Model files: a versioned, checksummed envelope around a model's serialized state.
//!
//! Layout: the 8-byte magic `SPWVMDL\0`, a little-endian `u32` format version, a `u32`
//! header length, a JSON [`ModelFileHeader`], then the payload. The header records the
//! algorithm (which loader to use), the payload encoding and its SHA-256, so a truncated or
//! altered file fails to load with a clear message. Loading never runs code from the file.

use crate::{Error, ModelInfo, Result};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"SPWVMDL\0";

/// The envelope format version this crate writes and reads.
pub const MODEL_FILE_VERSION: u32 = 1;

/// How the payload bytes are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadEncoding {
    /// UTF-8 JSON written by serde.
    Json,
    /// An opaque binary record (e.g. a burn record) that the algorithm's loader understands.
    Binary,
}

/// Metadata in front of the payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFileHeader {
    /// The model's description; `info.algorithm` selects the loader.
    pub info: ModelInfo,
    /// Payload encoding.
    pub encoding: PayloadEncoding,
    /// Payload length in bytes.
    pub payload_len: u64,
    /// Lowercase hex SHA-256 of the payload.
    pub payload_sha256: String,
    /// Version of the crate that wrote the file.
    pub writer: String,
}

/// A decoded model file: header plus verified payload.
///
/// ```
/// use specweave_core::{ModelFile, ModelInfo, ProblemKind};
///
/// let info = ModelInfo {
///     algorithm: "constant".into(),
///     problem: ProblemKind::Regression,
///     params: serde_json::json!({"value": 4.5}),
///     feature_names: vec!["x".into()],
///     class_names: vec![],
///     framework: "specweave".into(),
/// };
/// let bytes = ModelFile::from_json(info, &4.5_f64)?.encode();
/// let file = ModelFile::decode(&bytes)?;
/// assert_eq!(file.header.info.algorithm, "constant");
/// assert_eq!(file.json_payload::<f64>()?, 4.5);
/// assert!(ModelFile::decode(&bytes[..bytes.len() - 1]).is_err());
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    /// The header.
    pub header: ModelFileHeader,
    /// The payload bytes (checksum verified when decoded).
    pub payload: Vec<u8>,
}

impl ModelFile {
    /// Wraps a payload.
    pub fn new(info: ModelInfo, encoding: PayloadEncoding, payload: Vec<u8>) -> ModelFile {
        ModelFile {
            header: ModelFileHeader {
                info,
                encoding,
                payload_len: payload.len() as u64,
                payload_sha256: sha256_hex(&payload),
                writer: concat!("specweave-core ", env!("CARGO_PKG_VERSION")).to_string(),
            },
            payload,
        }
    }

    /// Wraps a serde-serializable model state as JSON.
    pub fn from_json<T: Serialize>(info: ModelInfo, state: &T) -> Result<ModelFile> {
        Ok(ModelFile::new(
            info,
            PayloadEncoding::Json,
            serde_json::to_vec(state)?,
        ))
    }

    /// Deserializes a JSON payload.
    pub fn json_payload<T: DeserializeOwned>(&self) -> Result<T> {
        if self.header.encoding != PayloadEncoding::Json {
            return Err(Error::ModelFile(format!(
                "payload of `{}` is binary, not JSON",
                self.header.info.algorithm
            )));
        }
        serde_json::from_slice(&self.payload).map_err(|e| {
            Error::ModelFile(format!(
                "payload of `{}` does not parse: {e}",
                self.header.info.algorithm
            ))
        })
    }

    /// The file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing a struct of strings, numbers and JSON values cannot fail.
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let mut out = Vec::with_capacity(16 + header.len() + self.payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&MODEL_FILE_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.payload);
        out
    }

    /// Parses and verifies a model file.
    pub fn decode(bytes: &[u8]) -> Result<ModelFile> {
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(Error::ModelFile(
                "not a specweave model file (missing the SPWVMDL magic bytes)".into(),
            ));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version != MODEL_FILE_VERSION {
            return Err(Error::ModelFile(format!(
                "format version {version} is not supported (this build reads version {MODEL_FILE_VERSION})"
            )));
        }
        let header_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
        let header_end = 16usize
            .checked_add(header_len)
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| Error::ModelFile("file is truncated inside its header".into()))?;
        let header: ModelFileHeader = serde_json::from_slice(&bytes[16..header_end])
            .map_err(|e| Error::ModelFile(format!("header does not parse: {e}")))?;
        let payload = &bytes[header_end..];
        if payload.len() as u64 != header.payload_len {
            return Err(Error::ModelFile(format!(
                "payload is {} bytes but the header says {} (truncated or extended file)",
                payload.len(),
                header.payload_len
            )));
        }
        let actual = sha256_hex(payload);
        if actual != header.payload_sha256 {
            return Err(Error::ModelFile(format!(
                "payload checksum mismatch: expected {}, got {actual} (the file was altered)",
                header.payload_sha256
            )));
        }
        Ok(ModelFile {
            header,
            payload: payload.to_vec(),
        })
    }
}

/// Lowercase hex SHA-256 of `bytes`; the fingerprint used for data, schemas and models.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}
