//! Property-testing your own integration with the exported strategies (feature `testkit`).
//!
//! Say your program keeps its own summary of each complaint for a case-management system,
//! built from the events the engine stores. The strategies generate complaint histories the
//! real deciders accepted, with the state they fold to; the property is that your summary
//! agrees with that state for every history. Run: `cargo run --example property_testing`
//! (`cargo test` runs it too, as a test).
#![allow(clippy::print_stdout)]

use aliprotect::complaint::{Complaint, ComplaintChange, ComplaintEvent};
use aliprotect::testkit::strategies;
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Your integration: what the case-management system shows for a complaint.
#[derive(Debug, Default, PartialEq)]
struct CaseSummary {
    counter_notices: usize,
    first_removed_at: Option<DateTime<Utc>>,
    last_activity: Option<DateTime<Utc>>,
}

impl CaseSummary {
    fn apply(&mut self, event: &ComplaintEvent) {
        match &event.change {
            ComplaintChange::CounterNoticeReceived { .. } => self.counter_notices += 1,
            ComplaintChange::ListingRemoved { .. } if self.first_removed_at.is_none() => {
                self.first_removed_at = Some(event.at);
            }
            _ => {}
        }
        self.last_activity = Some(event.at);
    }

    /// What the summary should say, read from the engine's own state.
    fn expected(complaint: &Complaint) -> Self {
        Self {
            counter_notices: complaint.counter_notices.len(),
            first_removed_at: complaint.removed_at,
            last_activity: Some(complaint.updated_at),
        }
    }
}

/// The property: the summary built event by event equals the one read from the state.
fn summary_agrees_with_state(
    (events, state): (Vec<ComplaintEvent>, Option<Complaint>),
) -> Result<(), TestCaseError> {
    let mut summary = CaseSummary::default();
    for event in &events {
        summary.apply(event);
    }
    let complaint = state.ok_or_else(|| TestCaseError::fail("every history starts filed"))?;
    prop_assert_eq!(summary, CaseSummary::expected(&complaint));
    Ok(())
}

fn check(cases: u32) -> Result<(), Box<dyn std::error::Error>> {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    // Up to 20 random commands after filing; refused ones are dropped by the strategy.
    runner.run(
        &strategies::complaint_history(20),
        summary_agrees_with_state,
    )?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    check(1_000)?;
    println!("CaseSummary agrees with the engine's state on 1,000 generated histories");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn case_summary_agrees_with_the_engine() {
        super::check(256).unwrap();
    }
}
