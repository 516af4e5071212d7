//! The store's runs and their events (`runs`, `run_events`): typed rows in and out.
