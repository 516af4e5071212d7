//! The hub's one CSV reader and one CSV writer, on the `csv` crate. The reader takes what
//! spreadsheets save: a UTF-8 byte-order mark, `,` or `;` between cells, quoted cells that run
//! over several lines, CRLF or LF. The writer quotes what needs quoting and, for exports a
//! person opens in a spreadsheet, neutralises cells that would run as formulas.

use std::borrow::Cow;

use super::{Grid, SheetBuilder};
use crate::error::HubError;

/// How [`write_csv`] treats a cell a spreadsheet would run as a formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cells {
    /// Written as they are: for text that comes back to the hub (the import preview).
    AsTheyAre,
    /// A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
    /// apostrophe, so a spreadsheet shows it as text instead of running it (OWASP's advice
    /// against CSV injection): for every export.
    Neutralised,
}

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as a spreadsheet may safely open it: with a leading apostrophe when it would
/// otherwise run as a formula.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// CSV text of `rows` (CRLF line ends, cells quoted only when they need it).
pub fn write_csv<R, C>(rows: R, cells: Cells) -> Result<String, HubError>
where
    R: IntoIterator,
    R::Item: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let failed = |error: String| HubError::Internal(format!("writing CSV: {error}"));
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        let record: Vec<String> = row
            .into_iter()
            .map(|cell| match cells {
                Cells::AsTheyAre => cell.as_ref().to_owned(),
                Cells::Neutralised => neutralised(cell.as_ref()).into_owned(),
            })
            .collect();
        writer
            .write_record(&record)
            .map_err(|e| failed(e.to_string()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| failed(e.error().to_string()))?;
    String::from_utf8(bytes).map_err(|e| failed(e.to_string()))
}

/// The rows of a CSV text, each with its line in the file (a quoted cell may span lines; a
/// row's line is where it starts). A byte-order mark is dropped; the cells are separated by
/// `;` when the first line has semicolons and no comma (as spreadsheets save CSV where the
/// comma is the decimal mark), else by `,`.
pub(super) fn read_csv(text: &str) -> Result<Grid, HubError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default();
    let delimiter = if first_line.contains(';') && !first_line.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut sheet = SheetBuilder::default();
    let mut record = csv::StringRecord::new();
    let (mut line, mut counted) = (1, 0);
    loop {
        let more = reader.read_record(&mut record).map_err(|error| {
            HubError::invalid("file", format!("the CSV file cannot be read: {error}"))
        })?;
        if !more {
            break;
        }
        // The reader's own line count lags behind (it counts a record's line end when it reads
        // the next one): the line is counted here, from where the record starts.
        let start = record
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let start = start
            + text.get(start..).map_or(0, |rest| {
                rest.len() - rest.trim_start_matches(['\r', '\n']).len()
            });
        line += text
            .as_bytes()
            .get(counted..start)
            .map_or(0, |between| between.iter().filter(|&&b| b == b'\n').count());
        counted = counted.max(start);
        for (column, cell) in record.iter().enumerate() {
            sheet.cell(line, column, cell)?;
        }
    }
    Ok(sheet.into_grid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(grid: &Grid) -> Vec<(usize, Vec<&str>)> {
        grid.iter()
            .map(|(line, cells)| (*line, cells.iter().map(String::as_str).collect()))
            .collect()
    }

    #[test]
    fn a_byte_order_mark_quotes_across_lines_and_semicolons_are_read() {
        let grid = read_csv("\u{feff}a;b\r\n\"x\ny\";\"say \"\"hi\"\"\"\r\n\r\nc;d\r\n").unwrap();
        assert_eq!(
            cells(&grid),
            [
                (1, vec!["a", "b"]),
                (2, vec!["x\ny", "say \"hi\""]),
                (5, vec!["c", "d"]),
            ],
            "the BOM is gone, the quoted cell keeps its line break, the lines are the file's"
        );
    }

    #[test]
    fn the_writer_quotes_and_neutralises_formulas_only_when_asked() {
        let rows = [
            ["=1+1", "+x", "-x", "@x"],
            ["\tx", "a,b", "say \"hi\"", "plain"],
        ];
        let exported = write_csv(rows, Cells::Neutralised).unwrap();
        assert_eq!(
            exported, "'=1+1,'+x,'-x,'@x\r\n'\tx,\"a,b\",\"say \"\"hi\"\"\",plain\r\n",
            "every formula start gets an apostrophe, and quoting still works"
        );
        let kept = write_csv(rows, Cells::AsTheyAre).unwrap();
        assert!(kept.starts_with("=1+1,+x,-x,@x\r\n"), "{kept}");
        let back = read_csv(&kept).unwrap();
        assert_eq!(
            back[1].1[2], "say \"hi\"",
            "the writer's text reads back: {kept}"
        );
    }
}
