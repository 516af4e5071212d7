//! Test Accounts (invite, import with a preview, resend, revoke, invitation link and QR, the
//! outbox) and Assignments.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::pages::Upload;
use super::{
    Errors, FormData, Frame, Page, PageError, Staff, blocking, page, product_label, product_labels,
    when,
};
use crate::Hub;
use crate::domain::merchants::{Invited, Merchant, NewMerchant, PRODUCTS};
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::import::{Cells, SheetRow, read_merchant_sheet, write_csv};
use crate::mail::InvitationMail;

/// A merchant row of the Test Accounts list.
struct MerchantRow {
    merchant: Merchant,
    /// Its products by name.
    products: String,
    last_activity: String,
    link: String,
}

#[derive(Template)]
#[template(path = "console/accounts.html")]
struct AccountsPage {
    frame: Frame,
    merchants: Vec<MerchantRow>,
    mail: Vec<InvitationMail>,
    delivery: String,
    /// Each product's code (the form's value) and name.
    products: Vec<(&'static str, String)>,
    form: FormData,
    errors: Errors,
    import_errors: Errors,
    fresh: Vec<Invited>,
}

impl AccountsPage {
    fn checked(&self, product: &str) -> &'static str {
        if self.form.all("products").iter().any(|p| p == product) {
            "checked"
        } else {
            ""
        }
    }
}

fn accounts_page_of(
    hub: &Hub,
    staff: &Staff,
    project: &Project,
    notice: &str,
) -> Result<AccountsPage, PageError> {
    let merchants = hub
        .merchants(&project.id)?
        .into_iter()
        .map(|merchant| {
            Ok(MerchantRow {
                products: product_labels(&merchant.products),
                last_activity: merchant
                    .last_active_at
                    .as_ref()
                    .map(when)
                    .unwrap_or_else(|| "never".to_owned()),
                link: hub
                    .latest_invitation_link(&merchant.id)?
                    .unwrap_or_default(),
                merchant,
            })
        })
        .collect::<Result<Vec<_>, HubError>>()?;
    let delivery = match hub.mail_relay() {
        Some(relay) => format!(
            "Invitations are mailed through the SMTP server {}:{}.",
            relay.host, relay.port
        ),
        None => "No SMTP server is configured (linker hub serve --smtp URL): invitations go to the outbox below; copy the link to the merchant.".to_owned(),
    };
    Ok(AccountsPage {
        frame: Frame::project(staff, project, "merchants", "Test Accounts").notice(notice),
        merchants,
        mail: hub
            .invitation_mail(&project.id)?
            .into_iter()
            .take(50)
            .collect(),
        delivery,
        products: PRODUCTS.iter().map(|p| (*p, product_label(p))).collect(),
        form: FormData::default(),
        errors: Errors::default(),
        import_errors: Errors::default(),
        fresh: Vec::new(),
    })
}

pub(super) async fn accounts_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    let notice = query
        .as_deref()
        .and_then(|q| q.strip_prefix("imported="))
        .map(|n| format!("{n} merchants invited."))
        .unwrap_or_default();
    page(&accounts_page_of(&hub, &staff, &project, &notice)?)
}

/// Delivers each invitation (SMTP or outbox); a failure is recorded on the merchant.
async fn deliver_all(hub: &Hub, invited: &[Invited]) -> Result<(), HubError> {
    for one in invited {
        hub.deliver_invitation(one).await?;
    }
    Ok(())
}

pub(super) async fn invite(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let form = FormData::parse(&body);
    staff.check(&form)?;
    let new = NewMerchant {
        name: form.get("name").to_owned(),
        mid: form.get("mid").to_owned(),
        email: form.get("email").to_owned(),
        products: form.all("products"),
    };
    match hub.invite_merchant(&id, new) {
        Ok(invited) => {
            deliver_all(&hub, std::slice::from_ref(&invited)).await?;
            let mut accounts = accounts_page_of(
                &hub,
                &staff,
                &project,
                &format!("{} invited.", invited.merchant.name),
            )?;
            accounts.fresh = vec![invited];
            Ok(page(&accounts)?.into_response())
        }
        Err(error) => {
            let mut accounts = accounts_page_of(&hub, &staff, &project, "")?;
            accounts.errors =
                Errors::from_hub(error, &["name", "mid", "email", "products"], "name")?;
            accounts.form = form;
            Ok(page(&accounts)?.into_response())
        }
    }
}

fn download(content_type: &'static str, file_name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub(super) async fn template_csv(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    staff.project(&hub, &id)?;
    Ok(download(
        "text/csv; charset=utf-8",
        "linker-merchants.csv",
        crate::import::template_csv()?.into_bytes(),
    ))
}

pub(super) async fn template_xlsx(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    staff.project(&hub, &id)?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "linker-merchants.xlsx",
        crate::import::template_xlsx()?,
    ))
}

/// One row of the import preview.
struct PreviewRow {
    line: usize,
    merchant: NewMerchant,
    problem: String,
}

#[derive(Template)]
#[template(path = "console/import.html")]
struct ImportPage {
    frame: Frame,
    file_name: String,
    rows: Vec<PreviewRow>,
    bad: usize,
    csv: String,
}

/// The previewed rows as CSV, for the confirm form to send back (cells as they are: this text
/// comes back to the hub, not to a spreadsheet).
fn rows_as_csv(rows: &[SheetRow]) -> Result<String, HubError> {
    let header = ["line", "name", "mid", "email", "products"].map(str::to_owned);
    write_csv(
        std::iter::once(header).chain(rows.iter().map(|row| {
            let m = &row.merchant;
            [
                row.line.to_string(),
                m.name.clone(),
                m.mid.clone(),
                m.email.clone(),
                m.products.join(", "),
            ]
        })),
        Cells::AsTheyAre,
    )
}

pub(super) async fn import_preview(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let upload = Upload::read(multipart).await?;
    staff.check(&upload.form)?;
    let refuse = |message: String| -> Result<Response, PageError> {
        let mut accounts = accounts_page_of(&hub, &staff, &project, "")?;
        accounts.import_errors = Errors::one("file", message);
        Ok(page(&accounts)?.into_response())
    };
    let Some((file_name, bytes)) = upload.file("file") else {
        return refuse("choose a CSV or Excel (.xlsx) file".to_owned());
    };
    // Reading a sheet (and unpacking a workbook) is CPU work: off the async workers.
    let (name, file) = (file_name.to_owned(), bytes.to_vec());
    let checked = blocking(&hub, move |hub| {
        let rows = read_merchant_sheet(&name, &file)?;
        let batch: Vec<NewMerchant> = rows.iter().map(|r| r.merchant.clone()).collect();
        let problems = hub.check_merchant_batch(&id, &batch)?;
        Ok((rows, problems))
    })
    .await;
    let (rows, problems) = match checked {
        Ok((rows, _)) if rows.is_empty() => {
            return refuse("the file has a header but no merchant rows".to_owned());
        }
        Ok(checked) => checked,
        Err(HubError::Invalid { message, .. }) => return refuse(message),
        Err(other) => return Err(other.into()),
    };
    let preview: Vec<PreviewRow> = rows
        .iter()
        .zip(problems)
        .map(|(row, problem)| PreviewRow {
            line: row.line,
            merchant: row.merchant.clone(),
            problem: problem.unwrap_or_default(),
        })
        .collect();
    Ok(page(&ImportPage {
        frame: Frame::project(&staff, &project, "merchants", "Import merchants"),
        file_name: file_name.to_owned(),
        bad: preview.iter().filter(|r| !r.problem.is_empty()).count(),
        rows: preview,
        csv: rows_as_csv(&rows)?,
    })?
    .into_response())
}

pub(super) async fn import_confirm(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    staff.project(&hub, &id)?;
    let form = FormData::parse(&body);
    staff.check(&form)?;
    let rows = form.get("rows").to_owned();
    let invited = {
        let id = id.clone();
        blocking(&hub, move |hub| {
            let rows = read_merchant_sheet("import.csv", rows.as_bytes())?;
            let batch: Vec<NewMerchant> = rows.into_iter().map(|r| r.merchant).collect();
            hub.invite_merchants(&id, &batch)
        })
        .await?
    };
    deliver_all(&hub, &invited).await?;
    Ok(Redirect::to(&format!(
        "/console/projects/{id}/merchants?imported={}",
        invited.len()
    ))
    .into_response())
}

pub(super) async fn resend(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, merchant)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    staff.check(&FormData::parse(&body))?;
    let invited = hub.resend_invitation(&id, &merchant)?;
    deliver_all(&hub, std::slice::from_ref(&invited)).await?;
    let mut accounts = accounts_page_of(
        &hub,
        &staff,
        &project,
        &format!(
            "A new invitation for {} replaces the old one.",
            invited.merchant.name
        ),
    )?;
    accounts.fresh = vec![invited];
    Ok(page(&accounts)?.into_response())
}

pub(super) async fn revoke(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, merchant)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    staff.check(&FormData::parse(&body))?;
    hub.revoke_merchant(&id, &merchant)?;
    let name = hub.merchant(&merchant)?.name;
    Ok(page(&accounts_page_of(
        &hub,
        &staff,
        &project,
        &format!("{name}'s invitation and wallet sessions are revoked; resend to invite again."),
    )?)?
    .into_response())
}

pub(super) async fn invitation_qr(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, merchant)): Path<(String, String)>,
) -> Result<Response, PageError> {
    staff.project(&hub, &id)?;
    let found = hub.merchant(&merchant)?;
    if found.project_id != id {
        return Err(HubError::NotFound(format!("merchant {merchant}")).into());
    }
    let link = hub
        .latest_invitation_link(&merchant)?
        .ok_or_else(|| HubError::NotFound("an open invitation of this merchant".to_owned()))?;
    let png = linker_scan::text_qr(&link, &linker_scan::QrOptions::default())
        .and_then(|code| code.to_png())
        .map_err(|e| HubError::Internal(format!("invitation QR: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// A merchant's line on the Assignments page.
struct AssignmentRow {
    merchant: Merchant,
    /// Its products by name.
    products: String,
    cases: Vec<String>,
    custom: bool,
}

#[derive(Template)]
#[template(path = "console/assignments.html")]
struct AssignmentsPage {
    frame: Frame,
    rows: Vec<AssignmentRow>,
    cases: Vec<(String, String, String)>,
    errors: Errors,
}

fn assignments_page_of(
    hub: &Hub,
    staff: &Staff,
    project: &Project,
    notice: &str,
) -> Result<AssignmentsPage, PageError> {
    let rows = hub
        .merchants(&project.id)?
        .into_iter()
        .map(|merchant| {
            Ok(AssignmentRow {
                products: product_labels(&merchant.products),
                cases: hub
                    .assigned_cases(&merchant)?
                    .iter()
                    .map(|c| c.id.clone())
                    .collect(),
                custom: hub.custom_assignment(&merchant.id)?.is_some(),
                merchant,
            })
        })
        .collect::<Result<Vec<_>, HubError>>()?;
    let cases = crate::domain::runs::catalogue()?
        .cases()
        .iter()
        .map(|c| (c.id.clone(), c.product.name().to_owned(), c.title.clone()))
        .collect();
    Ok(AssignmentsPage {
        frame: Frame::project(staff, project, "assignments", "Assignments").notice(notice),
        rows,
        cases,
        errors: Errors::default(),
    })
}

pub(super) async fn assignments_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    page(&assignments_page_of(&hub, &staff, &project, "")?)
}

pub(super) async fn save_assignments(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    let form = FormData::parse(&body);
    staff.check(&form)?;
    let merchants = form.all("merchants");
    let cases = form.all("cases");
    let defaults = form.get("action") == "defaults";
    let result = if !defaults && cases.is_empty() {
        Err(HubError::invalid(
            "cases",
            "tick the cases to assign, or reset to the defaults",
        ))
    } else {
        hub.assign_cases(&id, &merchants, (!defaults).then_some(cases.as_slice()))
    };
    match result {
        Ok(()) => page(&assignments_page_of(
            &hub,
            &staff,
            &project,
            &format!("Assignments of {} merchants saved.", merchants.len()),
        )?),
        Err(error) => {
            let mut assignments = assignments_page_of(&hub, &staff, &project, "")?;
            assignments.errors = Errors::from_hub(error, &["merchants", "cases"], "cases")?;
            page(&assignments)
        }
    }
}

/// The console's routes for test accounts, their import and invitations, and assignments.
pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/projects/{id}/merchants", get(accounts_page).post(invite))
        .route("/projects/{id}/merchants/template.csv", get(template_csv))
        .route("/projects/{id}/merchants/template.xlsx", get(template_xlsx))
        .route("/projects/{id}/merchants/import", post(import_preview))
        .route(
            "/projects/{id}/merchants/import/confirm",
            post(import_confirm),
        )
        .route("/projects/{id}/merchants/{merchant}/resend", post(resend))
        .route("/projects/{id}/merchants/{merchant}/revoke", post(revoke))
        .route(
            "/projects/{id}/merchants/{merchant}/invitation.png",
            get(invitation_qr),
        )
        .route(
            "/projects/{id}/assignments",
            get(assignments_page).post(save_assignments),
        )
}
