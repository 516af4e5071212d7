//! The store's Auto Debit authorizations and tokens (`authorizations`): typed rows in and out.
