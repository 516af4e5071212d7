//! Merchant spreadsheets: the import file (CSV, or an Excel workbook, `.xlsx`) read into rows of
//! [`NewMerchant`], the import itself (all rows or none), and the template to fill in, in both
//! formats. The columns are `name`, `mid`, `email` and `products`, in any order, named in the
//! first row.
//!
//! `table.rs` is the hub's one CSV reader and writer (every CSV the hub reads or writes goes
//! through it; exports neutralise formulas); `xlsx.rs` reads workbooks with calamine within
//! budgets, and writes the template. Both readers hand their cells to one [`SheetBuilder`],
//! which refuses a sheet too long, too wide or too full before keeping its cells.

mod table;
mod xlsx;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use table::{Cells, neutralised, write_csv};
pub use xlsx::{MAX_UNPACKED_BYTES, write_xlsx};

use crate::Hub;
use crate::domain::merchants::{Invited, NewMerchant};
use crate::error::HubError;

/// The columns of a merchant sheet.
pub const COLUMNS: [&str; 4] = ["name", "mid", "email", "products"];

/// The most lines a merchant sheet may have: a header and 10 000 merchants.
pub const MAX_LINES: usize = 10_001;

/// The most columns a merchant sheet may use (it needs four; spare ones are ignored).
pub const MAX_COLUMNS: usize = 26;

/// The most cells with something in them a merchant sheet may hold.
pub const MAX_CELLS: usize = MAX_LINES * MAX_COLUMNS;

/// The most bytes of text one cell may hold.
pub const MAX_CELL_BYTES: usize = 1024;

/// The most bytes of text a whole sheet may hold.
pub const MAX_TEXT_BYTES: usize = 4 * 1024 * 1024;

/// The most bad rows an import refusal lists one by one.
const MAX_LISTED_PROBLEMS: usize = 100;

/// The example rows of the template.
const EXAMPLES: [[&str; 4]; 2] = [
    ["Harbour Tea House", "M10001", "tea@example.com", "UPM"],
    ["Kowloon Books", "M10002", "books@example.com", "UPM, MPM"],
];

/// A sheet's non-blank rows, each as (its line in the file, its cells).
pub(crate) type Grid = Vec<(usize, Vec<String>)>;

/// One merchant row of a sheet.
#[derive(Debug, Clone)]
pub struct SheetRow {
    /// Its line in the file (the header is line 1).
    pub line: usize,
    /// What it says.
    pub merchant: NewMerchant,
}

/// One merchant an import created.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRow {
    /// Its line in the file (the header is line 1).
    pub line: usize,
    /// The MID the row named.
    pub mid: String,
    /// The merchant and its invitation.
    pub invited: Invited,
}

/// The spreadsheet name of a 0-based column: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_name(index: usize) -> String {
    let mut name = Vec::new();
    let mut n = index.saturating_add(1);
    while n > 0 {
        let rest = (n - 1) % 26;
        name.push(char::from(b'A' + u8::try_from(rest).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    name.iter().rev().collect()
}

/// Collects a sheet's cells, refusing it (with the cell that broke the budget) as soon as it is
/// too long, too wide or holds too much text, before keeping the cell: a tiny file cannot make
/// the hub build a huge grid.
#[derive(Debug, Default)]
pub(crate) struct SheetBuilder {
    rows: BTreeMap<usize, Vec<String>>,
    cells: usize,
    text: usize,
}

impl SheetBuilder {
    /// Takes the cell at `line` (1-based) and `column` (0-based).
    pub(crate) fn cell(&mut self, line: usize, column: usize, text: &str) -> Result<(), HubError> {
        let refuse = |why: String| HubError::invalid("file", why);
        // Empty cells are not kept (spreadsheets save many past the last column): only what a
        // cell holds counts.
        if text.trim().is_empty() {
            return Ok(());
        }
        self.cells += 1;
        if self.cells > MAX_CELLS {
            return Err(refuse(format!(
                "the sheet holds more than {MAX_CELLS} cells; a merchant sheet has at most {MAX_LINES} lines of {MAX_COLUMNS} columns"
            )));
        }
        let at = || format!("{}{line}", column_name(column));
        if line > MAX_LINES {
            return Err(refuse(format!(
                "the sheet is too long: cell {} is past line {MAX_LINES}; a merchant sheet has a header and at most {} merchants",
                at(),
                MAX_LINES - 1
            )));
        }
        if column >= MAX_COLUMNS {
            return Err(refuse(format!(
                "the sheet is too wide: cell {} is past column {}; a merchant sheet has the columns {}",
                at(),
                column_name(MAX_COLUMNS - 1),
                COLUMNS.join(", ")
            )));
        }
        if text.len() > MAX_CELL_BYTES {
            return Err(refuse(format!(
                "cell {} holds {} bytes of text; a cell of a merchant sheet holds at most {MAX_CELL_BYTES}",
                at(),
                text.len()
            )));
        }
        self.text += text.len();
        if self.text > MAX_TEXT_BYTES {
            return Err(refuse(format!(
                "the sheet holds more than {} MB of text; a merchant sheet is far smaller",
                MAX_TEXT_BYTES / (1024 * 1024)
            )));
        }
        let row = self.rows.entry(line).or_default();
        if row.len() <= column {
            row.resize(column + 1, String::new());
        }
        if let Some(slot) = row.get_mut(column) {
            *slot = text.to_owned();
        }
        Ok(())
    }

    /// The rows that hold anything, in line order.
    pub(crate) fn into_grid(self) -> Grid {
        self.rows.into_iter().collect()
    }
}

/// Reads an uploaded merchant sheet: XLSX when it is a zip (or named `.xlsx`), CSV when it is
/// UTF-8 text (or named `.csv`); anything else, a sheet over the budgets, or a header without
/// the four columns, is refused.
pub fn read_merchant_sheet(file_name: &str, bytes: &[u8]) -> Result<Vec<SheetRow>, HubError> {
    let lower = file_name.to_ascii_lowercase();
    let is_zip = bytes.starts_with(b"PK\x03\x04");
    let shown = if file_name.is_empty() {
        "the file"
    } else {
        file_name
    };
    let grid = if is_zip || lower.ends_with(".xlsx") {
        if !is_zip {
            return Err(HubError::invalid(
                "file",
                format!("{shown} is named .xlsx but is not an Excel workbook"),
            ));
        }
        xlsx::read_xlsx(bytes)?
    } else {
        let known = lower.ends_with(".csv") || lower.ends_with(".txt") || lower.is_empty();
        let text = std::str::from_utf8(bytes)
            .ok()
            .filter(|t| !t.contains('\0'));
        match (text, known) {
            (Some(text), true) => table::read_csv(text)?,
            (None, true) if !bytes.contains(&0) => {
                return Err(HubError::invalid(
                    "file",
                    format!(
                        "{shown} is not UTF-8 text: save the sheet as \"CSV UTF-8\", or upload it as an Excel workbook (.xlsx)"
                    ),
                ));
            }
            _ => {
                return Err(HubError::invalid(
                    "file",
                    format!(
                        "{shown} is neither a CSV file nor an Excel workbook (.xlsx): upload the template, filled in"
                    ),
                ));
            }
        }
    };
    rows_of(grid)
}

impl Hub {
    /// Imports a merchant sheet (CSV or XLSX) into a project, all rows or none: when every row
    /// is a good invitation, all are created (one transaction) and reported; otherwise nothing
    /// is created and the refusal names each bad row by its line.
    pub fn import_merchant_sheet(
        &self,
        project_id: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Vec<ImportRow>, HubError> {
        self.project(project_id)?;
        let rows = read_merchant_sheet(file_name, bytes)?;
        if rows.is_empty() {
            return Err(HubError::invalid(
                "file",
                "the file has a header but no merchant rows",
            ));
        }
        let batch: Vec<NewMerchant> = rows.iter().map(|r| r.merchant.clone()).collect();
        let problems = self.check_merchant_batch(project_id, &batch)?;
        let bad: Vec<String> = rows
            .iter()
            .zip(&problems)
            .filter_map(|(row, problem)| {
                let problem = problem.as_ref()?;
                Some(match row.merchant.mid.as_str() {
                    "" => format!("line {}: {problem}", row.line),
                    mid => format!("line {} ({mid}): {problem}", row.line),
                })
            })
            .collect();
        if !bad.is_empty() {
            let more = bad.len().saturating_sub(MAX_LISTED_PROBLEMS);
            let mut listed = bad[..bad.len().min(MAX_LISTED_PROBLEMS)].join("\n");
            if more > 0 {
                listed.push_str(&format!("\n... and {more} more"));
            }
            return Err(HubError::invalid(
                "file",
                format!(
                    "{} of {} rows are wrong, so no merchant was created; fix them and import the file again:\n{listed}",
                    bad.len(),
                    rows.len()
                ),
            ));
        }
        let invited = self.invite_merchants(project_id, &batch)?;
        Ok(rows
            .into_iter()
            .zip(invited)
            .map(|(row, invited)| ImportRow {
                line: row.line,
                mid: invited.merchant.mid.clone(),
                invited,
            })
            .collect())
    }
}

fn rows_of(grid: Grid) -> Result<Vec<SheetRow>, HubError> {
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

/// The import template as CSV.
pub fn template_csv() -> Result<String, HubError> {
    write_csv(std::iter::once(COLUMNS).chain(EXAMPLES), Cells::Neutralised)
}

/// The import template as an Excel workbook.
pub fn template_xlsx() -> Result<Vec<u8>, HubError> {
    let rows: Vec<&[&str]> = std::iter::once(&COLUMNS)
        .chain(&EXAMPLES)
        .map(|row| row.as_slice())
        .collect();
    write_xlsx(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_read_back_as_their_example_rows() {
        for (name, bytes) in [
            ("merchants.csv", template_csv().unwrap().into_bytes()),
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
