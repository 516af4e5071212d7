//! The store's merchants (test accounts) and their wallet sessions (`merchants`, `sessions`): typed rows in and out.
