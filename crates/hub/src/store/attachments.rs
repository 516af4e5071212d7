//! The store's evidence photos (`attachments`): typed rows in and out.
