//! IP rights: kinds, registration details, the submission package and its check, and the
//! right's state machine.

mod kind;
mod machine;
mod package;
mod registration;

pub use kind::IpKind;
pub use machine::{
    Fix, FixTarget, IpRight, RejectionRecord, RightChange, RightCommand, RightContext,
    RightDecider, RightEvent, RightRefusal, RightRule, RightStatus, reminder_day,
};
pub use package::{Filer, PackageProblem, SubmissionPackage};
pub use registration::{
    CopyrightRegistration, InvalidJurisdiction, Jurisdiction, MarkType, PatentRegistration,
    Registration, TrademarkRegistration,
};
