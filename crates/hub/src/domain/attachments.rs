//! Evidence attachments: photos a merchant adds to a run (a receipt, the POS screen). The wallet
//! names each attachment with an id it generated, so sending the same upload twice (a retry
//! after going offline) stores it once; the same id with other bytes is refused.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Hub;
use crate::domain::merchants::Merchant;
use crate::error::HubError;
use crate::store::attachments::NewAttachment;

/// The largest attachment accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// The most photos one run holds.
pub const MAX_ATTACHMENTS_PER_RUN: usize = 20;
/// The most bytes of photos one run holds.
pub const MAX_RUN_ATTACHMENT_BYTES: usize = 25 * 1024 * 1024;

/// An attachment as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// The wallet's id for it.
    pub id: String,
    /// The run it belongs to.
    pub run_id: String,
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
    /// Its size in bytes.
    pub size: usize,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// Recognises PNG and JPEG by their first bytes (the declared type is not trusted).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

impl Hub {
    /// Stores a photo for a run of this merchant under the wallet's id (idempotent).
    pub fn attach(
        &self,
        merchant: &Merchant,
        run_id: &str,
        id: &str,
        bytes: &[u8],
    ) -> Result<Attachment, HubError> {
        let run = self.merchant_run(merchant, run_id)?;
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(HubError::invalid(
                "id",
                "1 to 64 letters, digits, '-' or '_'",
            ));
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(HubError::invalid(
                "body",
                format!("at most {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
            ));
        }
        let content_type = sniff_image(bytes)
            .ok_or_else(|| HubError::invalid("body", "send a PNG or JPEG photo"))?;
        let sha256 = hex::encode(Sha256::digest(bytes));
        let attachment = Attachment {
            id: id.to_owned(),
            run_id: run_id.to_owned(),
            content_type: content_type.to_owned(),
            size: bytes.len(),
            sha256: sha256.clone(),
        };
        let now = self.clock.now();
        self.store.transaction(|db| {
            let attachments = db.attachments();
            match attachments.find(&merchant.id, id)? {
                Some((run, hash)) if run == run_id && hash == sha256 => Ok(()),
                Some(_) => Err(HubError::Conflict(format!(
                    "attachment {id} already holds another photo: give a new photo a new id"
                ))),
                // A new photo: only for an open run, and within the run's bounds.
                None if run.status != crate::domain::runs::RunStatus::Open => {
                    Err(HubError::RunOver(format!(
                        "run {run_id} was decided ({}): it takes no new photos",
                        run.status
                    )))
                }
                None if {
                    let (count, total) = attachments.usage(&merchant.id, run_id)?;
                    count >= MAX_ATTACHMENTS_PER_RUN
                        || total.saturating_add(bytes.len()) > MAX_RUN_ATTACHMENT_BYTES
                } =>
                {
                    Err(HubError::invalid(
                        "body",
                        format!(
                            "a run holds at most {MAX_ATTACHMENTS_PER_RUN} photos and {} MB of them",
                            MAX_RUN_ATTACHMENT_BYTES / 1024 / 1024
                        ),
                    ))
                }
                None => Ok(attachments.insert(&NewAttachment {
                    id,
                    merchant_id: &merchant.id,
                    run_id,
                    content_type,
                    bytes,
                    sha256: &sha256,
                    created_at: now,
                })?),
            }
        })?;
        Ok(attachment)
    }

    /// A photo of this merchant's run: its type and bytes.
    pub fn attachment(
        &self,
        merchant: &Merchant,
        run_id: &str,
        id: &str,
    ) -> Result<(String, Vec<u8>), HubError> {
        self.store
            .db(|db| db.attachments().content(&merchant.id, run_id, id))?
            .ok_or_else(|| HubError::NotFound(format!("attachment {id}")))
    }

    /// True when the merchant attached `id` to the run.
    pub fn has_attachment(
        &self,
        merchant: &Merchant,
        run_id: &str,
        id: &str,
    ) -> Result<bool, HubError> {
        Ok(self
            .store
            .db(|db| db.attachments().exists(&merchant.id, run_id, id))?)
    }
}

#[cfg(test)]
mod tests {
    use super::sniff_image;

    #[test]
    fn only_png_and_jpeg_are_photos() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert_eq!(sniff_image(b""), None);
    }
}
