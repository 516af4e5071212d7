//! The store's the admin credential (`admin_credential`): typed rows in and out.
