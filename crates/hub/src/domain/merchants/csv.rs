//! Inviting merchants from a CSV file (columns name, mid, email, products; header required, any
//! order), row by row, with a report of what became of each row.

use serde::{Deserialize, Serialize};

use super::{Invited, NewMerchant};
use crate::Hub;
use crate::error::HubError;

/// One row of a merchant import, and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRow {
    /// The line in the file (the header is line 1).
    pub line: usize,
    /// The MID the row named, if any.
    pub mid: Option<String>,
    /// The merchant and invitation, when created.
    pub invited: Option<Invited>,
    /// Why it was rejected.
    pub error: Option<String>,
}

impl Hub {
    /// Invites every valid row of a CSV (columns name, mid, email, products; header required,
    /// any order) and reports each row.
    pub fn import_merchants(
        &self,
        project_id: &str,
        csv: &str,
    ) -> Result<Vec<ImportRow>, HubError> {
        self.project(project_id)?;
        let mut lines = csv
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(HubError::invalid("file", "the file is empty"));
        };
        let [name_at, mid_at, email_at, products_at] = header_columns(header)?;
        let mut report = Vec::new();
        for (index, line) in lines {
            let cells = split_csv_line(line);
            let cell = |at: usize| {
                cells
                    .get(at)
                    .map(|c| c.trim().to_owned())
                    .unwrap_or_default()
            };
            let mid = Some(cell(mid_at)).filter(|m| !m.is_empty());
            let result = self.invite_merchant(
                project_id,
                NewMerchant {
                    name: cell(name_at),
                    mid: cell(mid_at),
                    email: cell(email_at),
                    products: vec![cell(products_at)],
                },
            );
            report.push(match result {
                Ok(invited) => ImportRow {
                    line: index + 1,
                    mid,
                    invited: Some(invited),
                    error: None,
                },
                Err(error) => ImportRow {
                    line: index + 1,
                    mid,
                    invited: None,
                    error: Some(error.to_string()),
                },
            });
        }
        Ok(report)
    }
}

/// Where the header puts the columns name, mid, email and products (any order, any case).
fn header_columns(header: &str) -> Result<[usize; 4], HubError> {
    let columns: Vec<String> = split_csv_line(header)
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let position = |name: &str| columns.iter().position(|c| c == name);
    let (Some(name_at), Some(mid_at), Some(email_at), Some(products_at)) = (
        position("name"),
        position("mid"),
        position("email"),
        position("products"),
    ) else {
        return Err(HubError::invalid(
            "file",
            format!(
                "the header must name the columns name, mid, email, products; it has {}",
                columns.join(", ")
            ),
        ));
    };
    Ok([name_at, mid_at, email_at, products_at])
}

/// Splits one CSV line, honouring double quotes (`"a, b"`, `""` for a quote).
fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    cells.push(current);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_honour_quotes() {
        assert_eq!(
            split_csv_line(r#"a,"b, c","say ""hi""""#),
            ["a", "b, c", r#"say "hi""#]
        );
    }
}
