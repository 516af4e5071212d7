//! linker-acquirer: the reference acquirer. An ACQP backend that integrates with the hub exactly
//! as the Alipay+ spec guides, a small web POS, and the POS driver protocol, with fault switches
//! that make it misbehave on purpose so every failing verdict can be demonstrated.
