//! Merchant sheets through the admin API's import on the real router: CSV as spreadsheets save
//! it, Excel workbooks read by the workbook's own order and namespaces, and the budgets that
//! refuse a tiny file built to make the hub allocate gigabytes.

use std::io::Write;

use axum::http::StatusCode;
use serde_json::Value;

use crate::merchants::import_sheet;
use crate::support::TestHub;

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// Zips parts into a file, deflated.
fn zipped(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in parts {
        writer.start_file(*name, options).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A workbook whose sheets, in the workbook's order, are (name, file under xl/worksheets/,
/// XML); `extra` parts are added as they are (a shared-strings table, say).
fn workbook(sheets: &[(&str, &str, &str)], extra: &[(&str, &str)]) -> Vec<u8> {
    let listed: String = sheets
        .iter()
        .enumerate()
        .map(|(i, (name, _, _))| {
            format!(
                r#"<sheet name="{name}" sheetId="{}" r:id="rId{}"/>"#,
                i + 1,
                i + 1
            )
        })
        .collect();
    let related: String = sheets
        .iter()
        .enumerate()
        .map(|(i, (_, file, _))| {
            format!(
                r#"<Relationship Id="rId{}" Type="{RELS}/worksheet" Target="worksheets/{file}"/>"#,
                i + 1
            )
        })
        .collect();
    let book = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>{listed}</sheets></workbook>"#
    );
    let book_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{related}</Relationships>"#
    );
    let package_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let paths: Vec<String> = sheets
        .iter()
        .map(|(_, file, _)| format!("xl/worksheets/{file}"))
        .collect();
    let mut parts: Vec<(&str, &str)> = vec![
        ("_rels/.rels", &package_rels),
        ("xl/workbook.xml", &book),
        ("xl/_rels/workbook.xml.rels", &book_rels),
    ];
    for (path, (_, _, xml)) in paths.iter().zip(sheets) {
        parts.push((path, xml));
    }
    parts.extend_from_slice(extra);
    zipped(&parts)
}

/// A worksheet of inline-string rows (cells escaped by the caller).
fn sheet(rows: &[[&str; 4]]) -> String {
    let rows: String = rows
        .iter()
        .enumerate()
        .map(|(r, cells)| {
            let cells: String = cells
                .iter()
                .zip(["A", "B", "C", "D"])
                .map(|(text, column)| {
                    format!(
                        r#"<c r="{column}{}" t="inlineStr"><is><t>{text}</t></is></c>"#,
                        r + 1
                    )
                })
                .collect();
            format!(r#"<row r="{}">{cells}</row>"#, r + 1)
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>"#
    )
}

const HEADER: [&str; 4] = ["name", "mid", "email", "products"];

fn mids(report: &Value) -> Vec<(u64, String)> {
    report
        .as_array()
        .unwrap_or_else(|| panic!("a report of created rows: {report}"))
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["mid"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Imports `file` and expects a refusal whose message contains `expected`; nothing created.
async fn refused(hub: &TestHub, project: &str, file: Vec<u8>, expected: &str) {
    let (status, error) = import_sheet(hub, project, file).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "INVALID_INPUT", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains(expected)),
        "the refusal says {expected:?}: {error}"
    );
    assert!(
        hub.hub.merchants(project).unwrap().is_empty(),
        "nothing created"
    );
}

#[tokio::test]
async fn a_csv_saved_by_excel_with_a_byte_order_mark_semicolons_and_a_multi_line_cell_imports() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let csv = "\u{feff}Name;MID;Email;Products\r\n\
               \"Harbour; Tea\";M1;tea@shop.example;\"UPM\r\nMPM\"\r\n\
               \r\n\
               Books;M2;books@shop.example;UPM\r\n";
    let (status, report) = import_sheet(&hub, &acqp.project.id, csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        mids(&report),
        [(2, "M1".to_owned()), (5, "M2".to_owned())],
        "the quoted cell spans lines 2-3, line 4 is blank: {report}"
    );
    assert_eq!(report[0]["invited"]["merchant"]["name"], "Harbour; Tea");
    assert_eq!(
        report[0]["invited"]["merchant"]["products"][1], "ORDER_CODE",
        "the cell's second line (MPM) counts: {report}"
    );
}

#[tokio::test]
async fn a_csv_row_past_the_columns_of_a_merchant_sheet_is_refused() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wide = format!(
        "name,mid,email,products\nA,M1,a@shop.example,UPM{}x\n",
        ",".repeat(30)
    );
    refused(
        &hub,
        &acqp.project.id,
        wide.into_bytes(),
        "the sheet is too wide: cell AH2 is past column Z",
    )
    .await;
    let (status, report) = import_sheet(
        &hub,
        &acqp.project.id,
        format!(
            "name,mid,email,products{}\nA,M1,a@shop.example,UPM\n",
            ",".repeat(30)
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "empty cells past the columns, as spreadsheets save them, are fine: {report}"
    );
}

#[tokio::test]
async fn a_workbook_is_read_from_its_first_sheet_in_the_workbooks_order_not_sheet1_xml() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let merchants = sheet(&[HEADER, ["Second File", "M201", "m201@shop.example", "UPM"]]);
    let notes = sheet(&[
        ["note", "", "", ""],
        ["this sheet is not merchants", "", "", ""],
    ]);
    let file = workbook(
        &[
            ("Merchants", "sheet2.xml", &merchants),
            ("Notes", "sheet1.xml", &notes),
        ],
        &[],
    );
    let (status, report) = import_sheet(&hub, &acqp.project.id, file).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(mids(&report), [(2, "M201".to_owned())], "{report}");
}

#[tokio::test]
async fn a_namespaced_workbook_with_shared_strings_and_xml_escapes_reads_as_excel_shows_it() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    // Prefixed elements everywhere, a shared-strings table with an escaped and a rich-text
    // string, an inline string with character references, and a number as the MID.
    let shared = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><s:sst xmlns:s="{MAIN}" count="6" uniqueCount="6"><s:si><s:t>name</s:t></s:si><s:si><s:t>mid</s:t></s:si><s:si><s:t>email</s:t></s:si><s:si><s:t>products</s:t></s:si><s:si><s:t>Tom &amp; Jerry&apos;s &lt;Caf&#233;&gt;</s:t></s:si><s:si><s:r><s:t xml:space="preserve">UPM, </s:t></s:r><s:r><s:t>MPM</s:t></s:r></s:si></s:sst>"#
    );
    let worksheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c><x:c r="C1" t="s"><x:v>2</x:v></x:c><x:c r="D1" t="s"><x:v>3</x:v></x:c></x:row><x:row r="2"><x:c r="A2" t="s"><x:v>4</x:v></x:c><x:c r="B2"><x:v>10001</x:v></x:c><x:c r="C2" t="inlineStr"><x:is><x:t>tom&#x40;shop.example</x:t></x:is></x:c><x:c r="D2" t="s"><x:v>5</x:v></x:c></x:row></x:sheetData></x:worksheet>"#
    );
    let file = workbook(
        &[("Merchants", "sheet1.xml", &worksheet)],
        &[("xl/sharedStrings.xml", &shared)],
    );
    let (status, report) = import_sheet(&hub, &acqp.project.id, file).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let merchant = &report[0]["invited"]["merchant"];
    assert_eq!(merchant["name"], "Tom & Jerry's <Café>", "{report}");
    assert_eq!(
        merchant["mid"], "10001",
        "a number cell reads as Excel shows it"
    );
    assert_eq!(merchant["email"], "tom@shop.example");
    assert_eq!(
        merchant["products"][0], "UPM",
        "the rich-text string is one cell: {report}"
    );
    assert_eq!(merchant["products"][1], "ORDER_CODE", "{report}");
}

#[tokio::test]
async fn a_small_zip_bomb_is_refused_before_it_is_unpacked_whole() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    // 20 MB of blanks inside an otherwise good sheet: some 20 KB zipped.
    let good = sheet(&[HEADER, ["Bomb", "M1", "bomb@shop.example", "UPM"]]);
    let padded = good.replace(
        "</worksheet>",
        &format!("{}</worksheet>", " ".repeat(20 << 20)),
    );
    let file = workbook(&[("Merchants", "sheet1.xml", &padded)], &[]);
    assert!(file.len() < 200_000, "a small file: {} bytes", file.len());
    refused(
        &hub,
        &acqp.project.id,
        file,
        "the Excel workbook unpacks to more than 16 MB",
    )
    .await;
}

#[tokio::test]
async fn sheets_reaching_past_their_rows_columns_or_text_are_refused_with_the_cell_named() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.as_str();
    let inline = |at: &str| {
        sheet(&[HEADER]).replace(
            "</sheetData>",
            &format!(r#"<row><c r="{at}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>"#),
        )
    };
    let wide = inline("XFD1");
    refused(
        &hub,
        project,
        workbook(&[("Merchants", "sheet1.xml", &wide)], &[]),
        "the sheet is too wide: cell XFD1 is past column Z",
    )
    .await;
    let long = inline("A1048576");
    refused(
        &hub,
        project,
        workbook(&[("Merchants", "sheet1.xml", &long)], &[]),
        "the sheet is too long: cell A1048576 is past line 10001",
    )
    .await;

    // A shared-strings table announcing four billion strings (room calamine would reserve).
    let announced = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="4000000000" uniqueCount="4000000000"><si><t>name</t></si></sst>"#
    );
    let plain = sheet(&[HEADER]);
    refused(
        &hub,
        project,
        workbook(
            &[("Merchants", "sheet1.xml", &plain)],
            &[("xl/sharedStrings.xml", &announced)],
        ),
        "announces 4000000000 shared strings",
    )
    .await;

    // One 1000-byte shared string in 8 000 cells: 8 MB of text from a file of a few KB.
    let big = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>{}</t></si></sst>"#,
        "x".repeat(1000)
    );
    let cells: String = (1..=2000)
        .map(|r| {
            let row: String = ["A", "B", "C", "D"]
                .iter()
                .map(|c| format!(r#"<c r="{c}{r}" t="s"><v>0</v></c>"#))
                .collect();
            format!(r#"<row r="{r}">{row}</row>"#)
        })
        .collect();
    let repeated = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{cells}</sheetData></worksheet>"#
    );
    refused(
        &hub,
        project,
        workbook(
            &[("Merchants", "sheet1.xml", &repeated)],
            &[("xl/sharedStrings.xml", &big)],
        ),
        "the sheet holds more than 4 MB of text",
    )
    .await;
}
