//! Merchant spreadsheets: the import file (CSV, or an Excel workbook, `.xlsx`) read into rows of
//! [`NewMerchant`], and the template to fill in, in both formats. The columns are `name`, `mid`,
//! `email` and `products`, in any order, named in the first row.

use std::io::{Cursor, Read, Write};

use crate::domain::merchants::NewMerchant;
use crate::error::HubError;

/// The columns of a merchant sheet.
pub const COLUMNS: [&str; 4] = ["name", "mid", "email", "products"];

/// The example rows of the template.
const EXAMPLES: [[&str; 4]; 2] = [
    ["Harbour Tea House", "M10001", "tea@example.com", "UPM"],
    ["Kowloon Books", "M10002", "books@example.com", "UPM, MPM"],
];

/// One merchant row of a sheet.
#[derive(Debug, Clone)]
pub struct SheetRow {
    /// Its line in the file (the header is line 1).
    pub line: usize,
    /// What it says.
    pub merchant: NewMerchant,
}

/// Reads an uploaded merchant sheet: XLSX when it is a zip (or named `.xlsx`), CSV when it is
/// UTF-8 text (or named `.csv`); anything else, or a header without the four columns, is refused.
pub fn read_merchant_sheet(file_name: &str, bytes: &[u8]) -> Result<Vec<SheetRow>, HubError> {
    let lower = file_name.to_ascii_lowercase();
    let is_zip = bytes.starts_with(b"PK\x03\x04");
    let grid = if is_zip || lower.ends_with(".xlsx") {
        if !is_zip {
            return Err(HubError::invalid(
                "file",
                format!("{file_name} is named .xlsx but is not an Excel workbook"),
            ));
        }
        read_xlsx(bytes)?
    } else {
        let known = lower.ends_with(".csv") || lower.ends_with(".txt") || lower.is_empty();
        let text = std::str::from_utf8(bytes)
            .ok()
            .filter(|t| !t.contains('\0'));
        match (text, known) {
            (Some(text), true) => read_csv(text.trim_start_matches('\u{feff}')),
            _ => {
                return Err(HubError::invalid(
                    "file",
                    format!(
                        "{} is neither a CSV file nor an Excel workbook (.xlsx): upload the template, filled in",
                        if file_name.is_empty() {
                            "the file"
                        } else {
                            file_name
                        }
                    ),
                ));
            }
        }
    };
    rows_of(grid)
}

fn rows_of(grid: Vec<(usize, Vec<String>)>) -> Result<Vec<SheetRow>, HubError> {
    let mut lines = grid
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let Some((_, header)) = lines.next() else {
        return Err(HubError::invalid("file", "the file is empty"));
    };
    let header: Vec<String> = header
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(HubError::invalid(
            "file",
            format!(
                "the first row must name the columns {}; the column{} {} {} missing",
                COLUMNS.join(", "),
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                if missing.len() > 1 { "are" } else { "is" }
            ),
        ));
    }
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
    let (name, mid, email, products) = (at("name"), at("mid"), at("email"), at("products"));
    Ok(lines
        .map(|(line, cells)| {
            let cell = |i: usize| {
                cells
                    .get(i)
                    .map(|c| c.trim().to_owned())
                    .unwrap_or_default()
            };
            SheetRow {
                line,
                merchant: NewMerchant {
                    name: cell(name),
                    mid: cell(mid),
                    email: cell(email),
                    products: vec![cell(products)],
                },
            }
        })
        .collect())
}

/// The rows of a CSV text with their line numbers (quotes honoured, also across lines).
fn read_csv(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut rows = Vec::new();
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',' | ';', false) if c == ',' || !text.contains(',') => {
                cells.push(std::mem::take(&mut current))
            }
            ('\r', false) => {}
            ('\n', false) => {
                cells.push(std::mem::take(&mut current));
                rows.push((row_line, std::mem::take(&mut cells)));
                line += 1;
                row_line = line;
            }
            ('\n', true) => {
                line += 1;
                current.push('\n');
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() || !cells.is_empty() {
        cells.push(current);
        rows.push((row_line, cells));
    }
    rows
}

/// The rows of the first worksheet of an XLSX workbook.
fn read_xlsx(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, HubError> {
    let bad = |why: String| {
        HubError::invalid("file", format!("the Excel workbook cannot be read: {why}"))
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let mut text_of = |name: &str| -> Result<Option<String>, HubError> {
        let Ok(mut file) = archive.by_name(name) else {
            return Ok(None);
        };
        if file.size() > 32 * 1024 * 1024 {
            return Err(bad(format!("{name} is too large")));
        }
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        Ok(Some(text))
    };
    let shared: Vec<String> = text_of("xl/sharedStrings.xml")?
        .map(|xml| {
            elements(&xml, "si")
                .into_iter()
                .map(|si| elements(si, "t").into_iter().map(unescape).collect())
                .collect()
        })
        .unwrap_or_default();
    let sheet = text_of("xl/worksheets/sheet1.xml")?
        .ok_or_else(|| bad("it has no first worksheet (xl/worksheets/sheet1.xml)".to_owned()))?;
    let mut rows = Vec::new();
    for (index, row) in elements_with_tag(&sheet, "row").into_iter().enumerate() {
        let (tag, inner) = row;
        let line = attribute(tag, "r")
            .and_then(|r| r.parse().ok())
            .unwrap_or(index + 1);
        let mut cells: Vec<String> = Vec::new();
        for (tag, inner) in elements_with_tag(inner, "c") {
            let column = attribute(tag, "r")
                .map(|r| {
                    r.chars()
                        .take_while(char::is_ascii_alphabetic)
                        .fold(0usize, |n, c| {
                            n * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1)
                        })
                        .saturating_sub(1)
                })
                .unwrap_or(cells.len());
            if column > 1000 {
                continue;
            }
            let value = match attribute(tag, "t") {
                Some("s") => elements(inner, "v")
                    .first()
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .and_then(|i| shared.get(i).cloned())
                    .unwrap_or_default(),
                Some("inlineStr") => elements(inner, "t").into_iter().map(unescape).collect(),
                _ => elements(inner, "v")
                    .first()
                    .map(|v| unescape(v))
                    .unwrap_or_default(),
            };
            if cells.len() <= column {
                cells.resize(column + 1, String::new());
            }
            cells[column] = value;
        }
        rows.push((line, cells));
    }
    Ok(rows)
}

/// The inner texts of every `<tag ...>...</tag>` (self-closed ones give "").
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    elements_with_tag(xml, tag)
        .into_iter()
        .map(|(_, inner)| inner)
        .collect()
}

/// Every `<tag ...>...</tag>` as (the opening tag's attributes, the inner text).
fn elements_with_tag<'a>(xml: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        // `<t` must not match `<tr`: the name ends at a space, `>` or `/`.
        if !after.starts_with([' ', '>', '/', '\t', '\n', '\r']) {
            rest = after;
            continue;
        }
        let Some(end) = after.find('>') else { break };
        let attributes = &after[..end];
        if attributes.ends_with('/') {
            out.push((attributes.trim_end_matches('/'), ""));
            rest = &after[end + 1..];
            continue;
        }
        let body = &after[end + 1..];
        let Some(stop) = body.find(&close) else { break };
        out.push((attributes, &body[..stop]));
        rest = &body[stop + close.len()..];
    }
    out
}

fn attribute<'a>(attributes: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let at = format!(" {attributes}").find(&needle)?;
    let start = at + needle.len() - 1;
    let value = attributes.get(start..)?;
    value.split('"').next()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The import template as CSV.
pub fn template_csv() -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for row in EXAMPLES {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                if c.contains(',') {
                    format!("\"{c}\"")
                } else {
                    (*c).to_owned()
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The import template as an Excel workbook.
pub fn template_xlsx() -> Result<Vec<u8>, HubError> {
    let rows: Vec<[&str; 4]> = std::iter::once(COLUMNS).chain(EXAMPLES).collect();
    write_xlsx(&rows)
}

/// A one-sheet workbook of text cells (inline strings).
pub fn write_xlsx(rows: &[[&str; 4]]) -> Result<Vec<u8>, HubError> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate() {
            let column = char::from(b'A' + u8::try_from(c).unwrap_or(0));
            sheet.push_str(&format!(
                "<c r=\"{column}{}\" t=\"inlineStr\"><is><t>{}</t></is></c>",
                r + 1,
                escape(cell)
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let files: [(&str, &str); 5] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Merchants" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
        ("xl/worksheets/sheet1.xml", sheet.as_str()),
    ];
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in files {
        writer
            .start_file(name, options)
            .and_then(|()| writer.write_all(text.as_bytes()).map_err(Into::into))
            .map_err(|e| HubError::Internal(format!("writing the workbook: {e}")))?;
    }
    Ok(writer
        .finish()
        .map_err(|e| HubError::Internal(format!("writing the workbook: {e}")))?
        .into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_read_back_as_their_example_rows() {
        for (name, bytes) in [
            ("merchants.csv", template_csv().into_bytes()),
            ("merchants.xlsx", template_xlsx().unwrap()),
        ] {
            let rows = read_merchant_sheet(name, &bytes).unwrap();
            assert_eq!(rows.len(), 2, "{name}: {rows:?}");
            assert_eq!(rows[1].line, 3, "{name}");
            assert_eq!(rows[1].merchant.mid, "M10002", "{name}");
            assert_eq!(rows[1].merchant.products, ["UPM, MPM"], "{name}");
        }
    }

    #[test]
    fn bad_files_are_named() {
        let error = read_merchant_sheet("logo.png", b"\x89PNG\r\n\x1a\n\0\0").unwrap_err();
        assert!(error.to_string().contains("neither a CSV"), "{error}");
        let error = read_merchant_sheet("m.xlsx", b"name,mid").unwrap_err();
        assert!(
            error.to_string().contains("not an Excel workbook"),
            "{error}"
        );
        let error = read_merchant_sheet("m.csv", b"name,mid,products\nA,1,UPM\n").unwrap_err();
        assert!(error.to_string().contains("email is missing"), "{error}");
    }

    #[test]
    fn csv_quotes_and_blank_lines_are_handled() {
        let rows = read_merchant_sheet(
            "m.csv",
            b"Email,Name,MID,Products\r\n\r\na@example.com,\"Shop, Ltd\",M1,\"UPM,MPM\"\r\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[0].merchant.name, "Shop, Ltd");
    }
}
