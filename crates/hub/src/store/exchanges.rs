//! The store's the request log (`exchanges`): typed rows in and out.
