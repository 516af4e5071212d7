//! linker-aplus: the Alipay+ wire protocol, with no I/O.
