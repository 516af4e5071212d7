//! linker-pos-driver: the POS driver protocol, version 1 (`/pos/v1`): how Linker asks an ACQP's
//! test harness to act at the point of sale (charge a payment code, show an order code, refund,
//! cancel, tell what the terminal shows). Message types, their JSON Schemas, and a client.
