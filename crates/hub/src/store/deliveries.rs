//! The store's callbacks to deliver and their attempts (`deliveries`, `delivery_attempts`): typed rows in and out.
