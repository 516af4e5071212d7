//! The store's invitation mail and its delivery (`invitation_mail`): typed rows in and out.
