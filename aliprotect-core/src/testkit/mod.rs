//! Test support for users of the engine and authors of backends (cargo feature `testkit`):
//! domain fixtures, an engine's recording notifier and approved right, given/when/then helpers for the deciders, proptest strategies, and the
//! backend conformance suite, and the evidence stores' conformance suite.

pub mod conformance;
pub mod engines;
pub mod evidence;
pub mod fixtures;
pub mod given;
pub mod strategies;
