//! Excel workbooks (`.xlsx`): the first worksheet (by the workbook's order) read with
//! `calamine`, within budgets checked before anything big is built, and the one small workbook
//! the hub writes, the import template.
//!
//! The budgets: the archive's parts may unpack to at most [`MAX_UNPACKED_BYTES`] (counted while
//! unpacking, so a part that lies about its size is caught too: a zip bomb is refused after
//! that many bytes); the shared-strings table may announce at most [`super::MAX_CELLS`] strings
//! (calamine reserves room for what it announces); and the sheet's cells go through the same
//! [`super::SheetBuilder`] as a CSV file's, which refuses cells past the sheet's rows and
//! columns and text past its budget before keeping them.

use std::io::{Cursor, Read, Write};

use calamine::{DataRef, Reader, Xlsx};

use super::{Grid, MAX_CELLS, SheetBuilder};
use crate::error::HubError;

/// The most bytes the parts of an uploaded workbook may unpack to, together.
pub const MAX_UNPACKED_BYTES: u64 = 16 * 1024 * 1024;

/// The most parts (files) an uploaded workbook may hold.
const MAX_PARTS: usize = 1_000;

fn unreadable(why: impl std::fmt::Display) -> HubError {
    HubError::invalid("file", format!("the Excel workbook cannot be read: {why}"))
}

/// The rows of the first worksheet of an XLSX workbook, each with its line (row number).
pub(super) fn read_xlsx(bytes: &[u8]) -> Result<Grid, HubError> {
    check_budgets(bytes)?;
    // calamine is a parser of untrusted input; a panic in it (an overflowing cell reference,
    // say) is a bad file, not a broken hub.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| first_sheet(bytes)))
        .unwrap_or_else(|_| Err(unreadable("it is malformed")))
}

fn first_sheet(bytes: &[u8]) -> Result<Grid, HubError> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let Some(first) = workbook.sheet_names().into_iter().next() else {
        return Err(unreadable("it has no worksheet"));
    };
    let mut cells = workbook
        .worksheet_cells_reader(&first)
        .map_err(unreadable)?;
    let mut sheet = SheetBuilder::default();
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (row, column) = cell.get_position();
        let text = match cell.get_value() {
            DataRef::SharedString(text) => std::borrow::Cow::Borrowed(*text),
            DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
                std::borrow::Cow::Borrowed(text.as_str())
            }
            DataRef::Empty => std::borrow::Cow::Borrowed(""),
            other => std::borrow::Cow::Owned(calamine::Data::from(other.clone()).to_string()),
        };
        sheet.cell(
            usize::try_from(row).unwrap_or(usize::MAX).saturating_add(1),
            usize::try_from(column).unwrap_or(usize::MAX),
            &text,
        )?;
    }
    Ok(sheet.into_grid())
}

/// Unpacks every part once, counting (and throwing away) the bytes, and looks at the number of
/// shared strings the workbook announces: a workbook over budget is refused here, before
/// calamine reads it.
fn check_budgets(bytes: &[u8]) -> Result<(), HubError> {
    let too_big = || {
        HubError::invalid(
            "file",
            format!(
                "the Excel workbook unpacks to more than {} MB; a merchant sheet is far smaller",
                MAX_UNPACKED_BYTES / (1024 * 1024)
            ),
        )
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if archive.len() > MAX_PARTS {
        return Err(unreadable(format!(
            "it holds {} parts; a workbook holds at most {MAX_PARTS}",
            archive.len()
        )));
    }
    let mut left = MAX_UNPACKED_BYTES;
    for index in 0..archive.len() {
        let part = archive.by_index(index).map_err(unreadable)?;
        if part.size() > left {
            return Err(too_big());
        }
        let name = part.name().map_err(unreadable)?.to_ascii_lowercase();
        let mut unpacked = Vec::new();
        let mut limited = part.take(left + 1);
        let read = if name.ends_with("sharedstrings.xml") {
            limited.read_to_end(&mut unpacked).map(|n| n as u64)
        } else {
            std::io::copy(&mut limited, &mut std::io::sink())
        }
        .map_err(|e| unreadable(format!("{name}: {e}")))?;
        if read > left {
            return Err(too_big());
        }
        left -= read;
        if !unpacked.is_empty() {
            check_shared_strings(&name, &unpacked)?;
        }
    }
    Ok(())
}

/// Refuses a shared-strings table that announces more strings (`count`, `uniqueCount`) than a
/// merchant sheet has cells, or announces them in a form that is not a plain number.
fn check_shared_strings(name: &str, xml: &[u8]) -> Result<(), HubError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let start = match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "sst" => e,
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => continue,
            Err(e) => return Err(unreadable(format!("{name}: {e}"))),
        };
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| unreadable(format!("{name}: {e}")))?;
            if !matches!(attribute.key.local_name().as_ref(), "count" | "uniqueCount") {
                continue;
            }
            let count = attribute.value.trim().parse::<u64>().ok();
            if count.is_none_or(|n| n > MAX_CELLS as u64) {
                return Err(HubError::invalid(
                    "file",
                    format!(
                        "the Excel workbook announces {} shared strings; a merchant sheet has at most {MAX_CELLS} cells",
                        attribute.value
                    ),
                ));
            }
        }
        return Ok(());
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A one-sheet workbook of text cells (inline strings), at most 26 columns: the import template,
/// and test fixtures.
pub fn write_xlsx(rows: &[&[&str]]) -> Result<Vec<u8>, HubError> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate() {
            sheet.push_str(&format!(
                "<c r=\"{}{}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                super::column_name(c),
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
