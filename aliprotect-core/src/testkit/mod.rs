//! Test support for users of the engine and authors of backends (cargo feature `testkit`):
//! domain fixtures, given/when/then helpers for the deciders, proptest strategies, and the
//! backend conformance suite, and the evidence stores' conformance suite.

pub mod conformance;
pub mod evidence;
pub mod fixtures;
pub mod given;
pub mod strategies;
