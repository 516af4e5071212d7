//! The decode-set manifest (`tests/decode-set/manifest.tsv`): which codes each test image holds.
//!
//! One line per image, tab-separated: file name, whether the chosen engine is expected to read it
//! (`reads` or `known-miss`; `measured` in the generated hard set, which only measures), a description, then each expected code as `qr:<text>` or
//! `code128:<text>`. Lines starting with `#` are comments.

#![allow(
    dead_code,
    reason = "shared by the test binary and the examples; each uses a part"
)]

use std::path::PathBuf;

use linker_scan::{Decoded, Symbology};

/// One image of the set and the codes it holds.
#[derive(Debug, Clone)]
pub struct Entry {
    /// File name inside the decode-set directory.
    pub file: String,
    /// `false` when no engine is expected to read it (recorded in RESULTS.md).
    pub expect_read: bool,
    /// How the image was made.
    pub description: String,
    /// The codes in the image.
    pub expected: Vec<(Symbology, String)>,
}

/// The decode-set directory.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/decode-set")
}

/// Reads and parses the manifest.
pub fn load() -> Result<Vec<Entry>, String> {
    load_from(&dir())
}

/// Reads and parses the manifest of the set in `dir`.
pub fn load_from(dir: &std::path::Path) -> Result<Vec<Entry>, String> {
    let path = dir.join("manifest.tsv");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(parse_line)
        .collect()
}

fn parse_line(line: &str) -> Result<Entry, String> {
    let mut fields = line.split('\t');
    let (Some(file), Some(status), Some(description)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err(format!("manifest line has fewer than 3 fields: {line:?}"));
    };
    let expected = fields
        .map(|code| match code.split_once(':') {
            Some(("qr", text)) => Ok((Symbology::QrCode, text.to_owned())),
            Some(("code128", text)) => Ok((Symbology::Code128, text.to_owned())),
            _ => Err(format!("bad code {code:?} in manifest line {line:?}")),
        })
        .collect::<Result<_, _>>()?;
    Ok(Entry {
        file: file.to_owned(),
        expect_read: status == "reads",
        description: description.to_owned(),
        expected,
    })
}

/// Formats one manifest line.
pub fn format_line(entry: &Entry) -> String {
    let status = if entry.expect_read {
        "reads"
    } else {
        "known-miss"
    };
    format_line_with_status(entry, status)
}

/// Formats one manifest line with the given status word.
pub fn format_line_with_status(entry: &Entry, status: &str) -> String {
    let mut line = format!("{}\t{status}\t{}", entry.file, entry.description);
    for (symbology, text) in &entry.expected {
        line.push('\t');
        line.push_str(symbology.as_str());
        line.push(':');
        line.push_str(text);
    }
    line
}

/// Expected codes that are not among `found`.
pub fn missing(entry: &Entry, found: &[Decoded]) -> Vec<(Symbology, String)> {
    entry
        .expected
        .iter()
        .filter(|(symbology, text)| {
            !found
                .iter()
                .any(|d| d.symbology == *symbology && d.text == *text)
        })
        .cloned()
        .collect()
}

/// Codes found that the image does not hold (false reads).
pub fn unexpected(entry: &Entry, found: &[Decoded]) -> Vec<(Symbology, String)> {
    found
        .iter()
        .filter(|d| {
            !entry
                .expected
                .iter()
                .any(|(symbology, text)| d.symbology == *symbology && d.text == *text)
        })
        .map(|d| (d.symbology, d.text.clone()))
        .collect()
}
