//! What is sent to the platform for one right, and the check that lists every problem at once.
//!
//! The platform rejects one thing at a time and takes days to do it; [`SubmissionPackage::check`]
//! finds all the usual reasons before the first try.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::kind::IpKind;
use super::registration::Registration;
use crate::evidence::{Evidence, EvidenceKind};
use crate::ids::{RepresentativeId, RightId};
use crate::party::{HolderKind, PowerOfAttorney, RightsHolder};

/// Who files the right with the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Filer {
    /// The holder itself.
    Holder,
    /// A representative, under the power of attorney given here.
    Representative {
        /// The representative.
        representative: RepresentativeId,
        /// The power it files under, if any is on record.
        power: Option<PowerOfAttorney>,
    },
}

/// Everything the platform asks for to register one right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionPackage {
    /// The owner of the right.
    pub holder: RightsHolder,
    /// Who files it.
    pub filer: Filer,
    /// The registration, typed by kind.
    pub registration: Registration,
    /// The documents attached.
    pub evidence: Vec<Evidence>,
}

/// One thing wrong with a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PackageProblem {
    /// The registration or patent number is blank.
    #[error("the registration number is blank")]
    MissingRegistrationNumber,
    /// A trademark without its mark name.
    #[error("the trademark's mark name is blank")]
    MissingMarkName,
    /// A trademark without any Nice class.
    #[error("the trademark lists no Nice class")]
    MissingClasses,
    /// A Nice class outside 1 to 45.
    #[error("Nice class {0} does not exist (classes are 1 to 45)")]
    InvalidClass(u8),
    /// The registrant on the certificate is not the holder.
    #[error("the certificate names `{registrant}` but the holder is `{holder}`")]
    RegistrantIsNotHolder {
        /// Registrant as entered from the certificate.
        registrant: String,
        /// The holder's name.
        holder: String,
    },
    /// The registration ends before it starts.
    #[error("the registration expires on {expires_on} before it starts on {starts_on}")]
    DatesOutOfOrder {
        /// Start of protection.
        starts_on: chrono::NaiveDate,
        /// End of protection.
        expires_on: chrono::NaiveDate,
    },
    /// Protection has not started yet.
    #[error("the right is not in force until {0}")]
    NotYetInForce(chrono::NaiveDate),
    /// Protection has ended.
    #[error("the right expired on {0}")]
    Expired(chrono::NaiveDate),
    /// No certificate of the right's kind is attached.
    #[error("no {expected} is attached")]
    MissingCertificate {
        /// The certificate the kind needs.
        expected: EvidenceKind,
    },
    /// A certificate of another kind of right is attached.
    #[error("a {found} is attached to a {kind} right")]
    CertificateOfOtherKind {
        /// The certificate found.
        found: EvidenceKind,
        /// The right's kind.
        kind: IpKind,
    },
    /// The holder's ownership or identity proof is missing.
    #[error("no ownership proof for a {holder_kind} holder (attach one of {})", names(.accepted))]
    MissingOwnershipProof {
        /// Person or company.
        holder_kind: HolderKind,
        /// Documents that would do.
        accepted: Vec<EvidenceKind>,
    },
    /// A representative files without a power of attorney on record.
    #[error("a representative files without a power of attorney on record")]
    MissingPowerOfAttorney,
    /// A representative files without the signed power of attorney attached.
    #[error("the signed power of attorney document is not attached")]
    MissingPowerOfAttorneyDocument,
    /// The power of attorney was granted by someone else or to someone else.
    #[error("the power of attorney is not from this holder to this representative")]
    PowerOfAttorneyForOtherParties,
    /// The power of attorney does not cover this right.
    #[error("the power of attorney does not cover this right")]
    PowerOfAttorneyOutOfScope,
    /// The power of attorney is not in force now.
    #[error("the power of attorney is not in force")]
    PowerOfAttorneyNotInForce,
}

impl SubmissionPackage {
    /// The kind of right, from its registration.
    pub fn kind(&self) -> IpKind {
        self.registration.kind()
    }

    /// Every problem with the package for right `right` at `at`; empty when it is complete.
    ///
    /// ```
    /// use aliprotect_core::ids::{RightId, RightsHolderId, TenantId};
    /// use aliprotect_core::party::{HolderKind, RightsHolder};
    /// use aliprotect_core::right::*;
    /// use chrono::{NaiveDate, Utc};
    ///
    /// let package = SubmissionPackage {
    ///     holder: RightsHolder {
    ///         id: RightsHolderId::new(),
    ///         tenant: TenantId::new(),
    ///         name: "Acme Audio Ltd".into(),
    ///         kind: HolderKind::Company,
    ///     },
    ///     filer: Filer::Holder,
    ///     registration: Registration::Copyright(CopyrightRegistration {
    ///         title: "Earbud product photos".into(),
    ///         registration_number: "2024-A-0001".into(),
    ///         jurisdiction: Jurisdiction::new("CN").unwrap(),
    ///         registrant: "Acme Audio Ltd".into(),
    ///         registered_on: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
    ///         expires_on: None,
    ///     }),
    ///     evidence: vec![],
    /// };
    /// let problems = package.check(RightId::new(), Utc::now());
    /// assert!(problems.iter().any(|p| matches!(p, PackageProblem::MissingCertificate { .. })));
    /// assert!(problems.iter().any(|p| matches!(p, PackageProblem::MissingOwnershipProof { .. })));
    /// ```
    pub fn check(&self, right: RightId, at: DateTime<Utc>) -> Vec<PackageProblem> {
        let mut problems = Vec::new();
        self.check_registration(at, &mut problems);
        self.check_certificates(&mut problems);
        self.check_ownership(&mut problems);
        self.check_power(right, at, &mut problems);
        problems
    }

    fn has(&self, kind: EvidenceKind) -> bool {
        self.evidence.iter().any(|e| e.kind == kind)
    }

    fn check_registration(&self, at: DateTime<Utc>, problems: &mut Vec<PackageProblem>) {
        let registration = &self.registration;
        if registration.number().trim().is_empty() {
            problems.push(PackageProblem::MissingRegistrationNumber);
        }
        if let Registration::Trademark(mark) = registration {
            if mark.mark_name.trim().is_empty() {
                problems.push(PackageProblem::MissingMarkName);
            }
            if mark.classes.is_empty() {
                problems.push(PackageProblem::MissingClasses);
            }
            problems.extend(
                mark.classes
                    .iter()
                    .filter(|class| !(1..=45).contains(*class))
                    .map(|class| PackageProblem::InvalidClass(*class)),
            );
        }
        if !same_name(registration.registrant(), &self.holder.name) {
            problems.push(PackageProblem::RegistrantIsNotHolder {
                registrant: registration.registrant().to_owned(),
                holder: self.holder.name.clone(),
            });
        }
        let today = at.date_naive();
        let starts_on = registration.in_force_from();
        if starts_on > today {
            problems.push(PackageProblem::NotYetInForce(starts_on));
        }
        if let Some(expires_on) = registration.expires_on() {
            if expires_on < starts_on {
                problems.push(PackageProblem::DatesOutOfOrder {
                    starts_on,
                    expires_on,
                });
            } else if expires_on <= today {
                problems.push(PackageProblem::Expired(expires_on));
            }
        }
    }

    fn check_certificates(&self, problems: &mut Vec<PackageProblem>) {
        let kind = self.kind();
        if !self.has(kind.certificate()) {
            problems.push(PackageProblem::MissingCertificate {
                expected: kind.certificate(),
            });
        }
        problems.extend(
            self.evidence
                .iter()
                .filter(|e| e.kind.is_certificate() && e.kind != kind.certificate())
                .map(|e| PackageProblem::CertificateOfOtherKind {
                    found: e.kind,
                    kind,
                }),
        );
    }

    fn check_ownership(&self, problems: &mut Vec<PackageProblem>) {
        let accepted = match self.holder.kind {
            HolderKind::Company => vec![
                EvidenceKind::ArticlesOfIncorporation,
                EvidenceKind::ArticlesOfFormation,
            ],
            HolderKind::Individual => vec![EvidenceKind::IdentityDocument],
        };
        if !accepted.iter().any(|kind| self.has(*kind)) {
            problems.push(PackageProblem::MissingOwnershipProof {
                holder_kind: self.holder.kind,
                accepted,
            });
        }
    }

    fn check_power(&self, right: RightId, at: DateTime<Utc>, problems: &mut Vec<PackageProblem>) {
        let Filer::Representative {
            representative,
            power,
        } = &self.filer
        else {
            return;
        };
        if !self.has(EvidenceKind::PowerOfAttorney) {
            problems.push(PackageProblem::MissingPowerOfAttorneyDocument);
        }
        let Some(power) = power else {
            problems.push(PackageProblem::MissingPowerOfAttorney);
            return;
        };
        if power.representative != *representative || power.holder != self.holder.id {
            problems.push(PackageProblem::PowerOfAttorneyForOtherParties);
        }
        if !power.covers(right) {
            problems.push(PackageProblem::PowerOfAttorneyOutOfScope);
        }
        if !power.in_force_at(at) {
            problems.push(PackageProblem::PowerOfAttorneyNotInForce);
        }
    }
}

/// Names match when equal ignoring case and runs of whitespace ("ACME  Ltd" = "Acme Ltd").
fn same_name(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    words(a) == words(b)
}

/// Evidence kinds as people write them, comma-separated.
fn names(kinds: &[EvidenceKind]) -> String {
    kinds
        .iter()
        .map(|kind| kind.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};

    use super::*;
    use crate::ids::{PowerOfAttorneyId, RepresentativeId};
    use crate::party::PowerScope;
    use crate::testkit::fixtures::{self, now};

    fn right() -> RightId {
        RightId::from_u128(7)
    }

    #[test]
    fn a_complete_package_has_no_problem() {
        assert_eq!(fixtures::trademark_package().check(right(), now()), vec![]);
        assert_eq!(
            fixtures::design_patent_package().check(right(), now()),
            vec![]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut p = fixtures::trademark_package();
        let Registration::Trademark(mark) = &mut p.registration else {
            unreachable!()
        };
        mark.registration_number = " ".into();
        mark.mark_name = String::new();
        mark.classes = vec![0, 9, 46];
        mark.registrant = "Someone Else GmbH".into();
        mark.expires_on = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        p.evidence = vec![fixtures::evidence(EvidenceKind::CopyrightCertificate)];
        p.filer = Filer::Representative {
            representative: RepresentativeId::from_u128(5),
            power: None,
        };
        let problems = p.check(right(), now());
        assert_eq!(
            problems,
            vec![
                PackageProblem::MissingRegistrationNumber,
                PackageProblem::MissingMarkName,
                PackageProblem::InvalidClass(0),
                PackageProblem::InvalidClass(46),
                PackageProblem::RegistrantIsNotHolder {
                    registrant: "Someone Else GmbH".into(),
                    holder: "Acme Audio Ltd".into()
                },
                PackageProblem::DatesOutOfOrder {
                    starts_on: NaiveDate::from_ymd_opt(2021, 6, 1).unwrap(),
                    expires_on: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
                },
                PackageProblem::MissingCertificate {
                    expected: EvidenceKind::TrademarkCertificate
                },
                PackageProblem::CertificateOfOtherKind {
                    found: EvidenceKind::CopyrightCertificate,
                    kind: IpKind::Trademark
                },
                PackageProblem::MissingOwnershipProof {
                    holder_kind: HolderKind::Company,
                    accepted: vec![
                        EvidenceKind::ArticlesOfIncorporation,
                        EvidenceKind::ArticlesOfFormation
                    ]
                },
                PackageProblem::MissingPowerOfAttorneyDocument,
                PackageProblem::MissingPowerOfAttorney,
            ]
        );
    }

    #[test]
    fn trademark_without_classes_and_expired_right_are_reported() {
        let mut p = fixtures::trademark_package();
        let Registration::Trademark(mark) = &mut p.registration else {
            unreachable!()
        };
        mark.classes.clear();
        mark.expires_on = now().date_naive();
        let problems = p.check(right(), now());
        assert_eq!(
            problems,
            vec![
                PackageProblem::MissingClasses,
                PackageProblem::Expired(now().date_naive())
            ]
        );
        let mut p = fixtures::trademark_package();
        let Registration::Trademark(mark) = &mut p.registration else {
            unreachable!()
        };
        let tomorrow = now().date_naive() + Duration::days(1);
        mark.registered_on = tomorrow;
        assert_eq!(
            p.check(right(), now()),
            vec![PackageProblem::NotYetInForce(tomorrow)]
        );
    }

    #[test]
    fn individual_holders_prove_identity_instead_of_incorporation() {
        let mut p = fixtures::trademark_package();
        p.holder.kind = HolderKind::Individual;
        assert_eq!(
            p.check(right(), now()),
            vec![PackageProblem::MissingOwnershipProof {
                holder_kind: HolderKind::Individual,
                accepted: vec![EvidenceKind::IdentityDocument]
            }]
        );
    }

    #[test]
    fn a_representative_needs_a_power_in_force_for_this_holder_and_right() {
        let rep = RepresentativeId::from_u128(5);
        let mut p = fixtures::trademark_package();
        p.evidence
            .push(fixtures::evidence(EvidenceKind::PowerOfAttorney));
        let power = PowerOfAttorney {
            id: PowerOfAttorneyId::from_u128(1),
            holder: p.holder.id,
            representative: rep,
            scope: PowerScope::Rights(vec![right()]),
            valid_from: now() - Duration::days(30),
            valid_until: None,
        };
        p.filer = Filer::Representative {
            representative: rep,
            power: Some(power.clone()),
        };
        assert_eq!(p.check(right(), now()), vec![]);

        let expired = PowerOfAttorney {
            valid_until: Some(now() - Duration::days(1)),
            representative: RepresentativeId::from_u128(6),
            ..power
        };
        p.filer = Filer::Representative {
            representative: rep,
            power: Some(expired),
        };
        assert_eq!(
            p.check(RightId::from_u128(8), now()),
            vec![
                PackageProblem::PowerOfAttorneyForOtherParties,
                PackageProblem::PowerOfAttorneyOutOfScope,
                PackageProblem::PowerOfAttorneyNotInForce
            ]
        );
    }

    #[test]
    fn registrant_names_match_ignoring_case_and_spacing() {
        assert!(same_name("ACME  Audio ltd", "Acme Audio Ltd"));
        assert!(!same_name("Acme Audio", "Acme Audio Ltd"));
    }
}
