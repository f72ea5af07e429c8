//! IP rights: kinds, registration details, the submission package and its check, and the
//! right's state machine.

mod kind;
mod machine;
mod package;
mod registration;
mod state;

pub use kind::IpKind;
pub use machine::{
    RightChange, RightCommand, RightContext, RightDecider, RightEvent, RightRefusal, RightRule,
    reminder_day,
};
pub use package::{Filer, PackageProblem, SubmissionPackage};
pub use registration::{
    CopyrightRegistration, InvalidJurisdiction, Jurisdiction, MarkType, PatentRegistration,
    Registration, TrademarkRegistration,
};
pub use state::{Fix, FixTarget, IpRight, RejectionRecord, RightStatus};
