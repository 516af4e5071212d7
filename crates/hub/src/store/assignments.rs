//! The store's the cases assigned to each merchant (`assignments`): typed rows in and out.
