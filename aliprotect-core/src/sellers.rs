//! Sellers: what each one has been complained about, who infringes again and again, and which
//! accounts (on any marketplace) are run by the same people, judging by shared contact data.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::complaint::Complaint;
use crate::marketplace::Marketplace;
use crate::metrics::Tallies;

/// A seller account: its marketplace and its store id (or, lacking one, its name as shown).
pub type SellerKey = (Marketplace, String);

/// One seller's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerRecord {
    /// Complaints against its listings.
    pub complaints: u64,
    /// Of those, listings removed.
    pub removals: u64,
    /// Counter-notices it filed.
    pub counter_notices: u64,
    /// Removed listings it put up again.
    pub relistings: u64,
    /// Whether its removals reached the repeat-infringer threshold.
    pub repeat_infringer: bool,
}

/// The seller of a complaint's listing, when known.
pub fn seller_of(complaint: &Complaint) -> Option<SellerKey> {
    let filed = &complaint.filed;
    filed
        .listing
        .seller(&filed.details)
        .map(|seller| (filed.listing.marketplace, seller.to_owned()))
}

/// Every known seller's record; a seller with `repeat_threshold` removals or more is a
/// repeat infringer.
pub fn seller_records<'a>(
    complaints: impl IntoIterator<Item = &'a Complaint>,
    repeat_threshold: u64,
) -> BTreeMap<SellerKey, SellerRecord> {
    records_from_tallies(&Tallies::of(complaints), repeat_threshold)
}

/// Every known seller's record from the metric tallies of its complaints (their seller
/// groups: a group per seller, not a complaint), repeat infringers flagged at
/// `repeat_threshold` removals.
pub fn records_from_tallies(
    tallies: &Tallies,
    repeat_threshold: u64,
) -> BTreeMap<SellerKey, SellerRecord> {
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    tallies
        .sellers()
        .map(|(marketplace, seller, sums)| {
            let removals = count(sums.removed);
            let record = SellerRecord {
                complaints: count(sums.filed),
                removals,
                counter_notices: count(sums.counter_notices),
                relistings: count(sums.relisted),
                repeat_infringer: removals >= repeat_threshold,
            };
            ((marketplace, seller.to_owned()), record)
        })
        .collect()
}

/// Contact data shown for a seller account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerContact {
    /// The account.
    pub seller: Option<SellerKey>,
    /// Email addresses.
    pub emails: Vec<String>,
    /// Phone numbers, in any format.
    pub phones: Vec<String>,
    /// Store or company names.
    pub store_names: Vec<String>,
}

/// Accounts linked by shared contact data, with their combined record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerNetwork {
    /// The accounts, sorted.
    pub sellers: Vec<SellerKey>,
    /// Their records added up.
    pub total: SellerRecord,
}

/// Contact values reduced so that trivial differences do not hide a match: emails lower-case
/// without `+tags`, phones as their last 9 digits (country and trunk prefixes differ),
/// names lower-case letters and digits only.
fn contact_keys(contact: &SellerContact) -> Vec<String> {
    let emails = contact.emails.iter().filter_map(|email| {
        let email = email.trim().to_lowercase();
        let (local, domain) = email.split_once('@')?;
        let local = local.split('+').next().unwrap_or(local);
        (!local.is_empty() && !domain.is_empty()).then(|| format!("email:{local}@{domain}"))
    });
    let phones = contact.phones.iter().filter_map(|phone| {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let tail = &digits[digits.len().saturating_sub(9)..];
        (tail.len() >= 7).then(|| format!("phone:{tail}"))
    });
    let names = contact.store_names.iter().filter_map(|name| {
        let name: String = name
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        (name.chars().count() >= 4).then(|| format!("name:{name}"))
    });
    emails.chain(phones).chain(names).collect()
}

/// Union-find over indexes.
struct Groups(Vec<usize>);

impl Groups {
    fn root(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// Accounts that share any normalised contact value, linked transitively (A shares a phone
/// with B, B an email with C: one network), across marketplaces. Only networks of two or more
/// accounts are returned, largest first, each with its members' records added up.
pub fn seller_networks(
    contacts: &[SellerContact],
    records: &BTreeMap<SellerKey, SellerRecord>,
) -> Vec<SellerNetwork> {
    let mut groups = Groups((0..contacts.len()).collect());
    let mut first_with: HashMap<String, usize> = HashMap::new();
    for (index, contact) in contacts.iter().enumerate() {
        if contact.seller.is_none() {
            continue;
        }
        for key in contact_keys(contact) {
            match first_with.get(&key) {
                Some(&other) => groups.join(index, other),
                None => {
                    first_with.insert(key, index);
                }
            }
        }
    }
    let mut members: BTreeMap<usize, Vec<SellerKey>> = BTreeMap::new();
    for (index, contact) in contacts.iter().enumerate() {
        if let Some(seller) = &contact.seller {
            let root = groups.root(index);
            let list = members.entry(root).or_default();
            if !list.contains(seller) {
                list.push(seller.clone());
            }
        }
    }
    let mut networks: Vec<SellerNetwork> = members
        .into_values()
        .filter(|sellers| sellers.len() >= 2)
        .map(|mut sellers| {
            sellers.sort();
            let mut total = SellerRecord::default();
            for seller in &sellers {
                if let Some(record) = records.get(seller) {
                    total.complaints += record.complaints;
                    total.removals += record.removals;
                    total.counter_notices += record.counter_notices;
                    total.relistings += record.relistings;
                    total.repeat_infringer |= record.repeat_infringer;
                }
            }
            SellerNetwork { sellers, total }
        })
        .collect();
    networks.sort_by(|a, b| {
        b.sellers
            .len()
            .cmp(&a.sellers.len())
            .then(a.sellers.cmp(&b.sellers))
    });
    networks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::complaint::{ComplaintCommand, RemovalCause};
    use crate::metrics::Tallies;
    use crate::testkit::fixtures;

    /// A complaint against `seller` (by name, `None`: not shown) on `marketplace`, taken
    /// through `commands`.
    fn against(
        marketplace: Marketplace,
        seller: Option<&str>,
        commands: &[ComplaintCommand],
    ) -> Complaint {
        let mut filing = fixtures::complaint_filing(1, 7);
        filing.listing.marketplace = marketplace;
        filing.details.seller_name = seller.map(str::to_owned);
        fixtures::complaint_after(filing, fixtures::now(), commands)
    }

    #[test]
    fn records_count_each_account_on_its_marketplace_and_every_counter_notice() {
        use ComplaintCommand::{Accept, MarkRelisted, RecordRemoval, Submit};
        let notice = || ComplaintCommand::ReceiveCounterNotice {
            statement: fixtures::text("Authorised reseller."),
            evidence: vec![],
        };
        let respond = ComplaintCommand::Respond {
            statement: fixtures::text("No licence."),
            evidence: vec![],
        };
        let removal = || RecordRemoval {
            cause: RemovalCause::PlatformReported,
        };
        let relisted = MarkRelisted {
            successor: crate::ids::ComplaintId::new(),
        };
        let ali = Marketplace::AlibabaCom;
        let complaints = [
            against(
                ali,
                Some("copycat"),
                &[Submit, Accept, notice(), respond, notice()],
            ),
            against(ali, Some("copycat"), &[Submit, Accept, removal()]),
            against(ali, Some("copycat"), &[Submit, Accept, removal(), relisted]),
            // The same name elsewhere is another account; no name, no record.
            against(
                Marketplace::AliExpress,
                Some("copycat"),
                &[Submit, Accept, removal()],
            ),
            against(ali, None, &[Submit, Accept, removal()]),
        ];
        let records = seller_records(&complaints, 2);
        let copycat = &records[&(ali, "copycat".to_owned())];
        assert_eq!(
            copycat,
            &SellerRecord {
                complaints: 3,
                removals: 2,
                counter_notices: 2,
                relistings: 1,
                repeat_infringer: true,
            }
        );
        let elsewhere = &records[&(Marketplace::AliExpress, "copycat".to_owned())];
        assert_eq!((elsewhere.removals, elsewhere.repeat_infringer), (1, false));
        assert_eq!(
            records.len(),
            2,
            "the listing without a seller has no record"
        );
        // The metrics still count the unknown seller, and one name across marketplaces.
        let by_seller = Tallies::of(&complaints).breakdown().by_seller;
        assert_eq!(by_seller["copycat"].filed, 4);
        assert_eq!(by_seller["unknown"].filed, 1);
    }

    fn contact(
        market: Marketplace,
        seller: &str,
        email: &str,
        phone: &str,
        name: &str,
    ) -> SellerContact {
        let list = |v: &str| {
            if v.is_empty() {
                vec![]
            } else {
                vec![v.to_owned()]
            }
        };
        SellerContact {
            seller: Some((market, seller.to_owned())),
            emails: list(email),
            phones: list(phone),
            store_names: list(name),
        }
    }

    #[test]
    fn accounts_sharing_contacts_are_linked_transitively_across_marketplaces() {
        let contacts = vec![
            contact(
                Marketplace::AlibabaCom,
                "acme-copy",
                "Sales+ali@Copycat.example",
                "",
                "",
            ),
            contact(
                Marketplace::AliExpress,
                "12345",
                "sales@copycat.example",
                "+86 138 0013 8000",
                "",
            ),
            contact(
                Marketplace::Alibaba1688,
                "shop9",
                "",
                "0138-0013-8000",
                "Shenzhen Copy Co.",
            ),
            contact(
                Marketplace::Taobao,
                "honest",
                "info@honest.example",
                "021 5555 0000",
                "Honest Audio",
            ),
            contact(Marketplace::Tmall, "copyflag", "", "", "shenzhen copy co"),
        ];
        let mut records = BTreeMap::new();
        records.insert(
            (Marketplace::AlibabaCom, "acme-copy".to_owned()),
            SellerRecord {
                complaints: 3,
                removals: 2,
                ..SellerRecord::default()
            },
        );
        records.insert(
            (Marketplace::Alibaba1688, "shop9".to_owned()),
            SellerRecord {
                complaints: 1,
                removals: 1,
                relistings: 1,
                ..SellerRecord::default()
            },
        );
        let networks = seller_networks(&contacts, &records);
        assert_eq!(networks.len(), 1, "the honest seller stands alone");
        let network = &networks[0];
        assert_eq!(network.sellers.len(), 4);
        assert!(!network.sellers.iter().any(|(_, s)| s == "honest"));
        assert_eq!(
            (
                network.total.complaints,
                network.total.removals,
                network.total.relistings
            ),
            (4, 3, 1)
        );
    }

    #[test]
    fn short_or_empty_values_do_not_link_everyone() {
        let contacts = vec![
            contact(Marketplace::AlibabaCom, "a", "", "123", "Co"),
            contact(Marketplace::AlibabaCom, "b", "", "123", "Co"),
        ];
        assert!(seller_networks(&contacts, &BTreeMap::new()).is_empty());
    }
}
