//! Test support for users of the engine and authors of backends (cargo feature `testkit`):
//! domain fixtures and given/when/then helpers for the deciders.

pub mod fixtures;
pub mod given;
