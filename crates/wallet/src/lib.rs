//! linker-wallet: everything the Linker wallet does, as one API ([`Wallet`] once built) that the
//! app's commands and the command line call: session, assigned cases, runs, payment codes,
//! scanning, manual checks, the local store with its outbox, and sync with the hub.
