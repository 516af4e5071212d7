//! The store's console users, their projects and sessions (`console_users`, `console_members`, `console_sessions`): typed rows in and out.
