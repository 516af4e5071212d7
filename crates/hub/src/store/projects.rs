//! The store's projects (`projects`): typed rows in and out.
