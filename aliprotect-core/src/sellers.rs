//! Sellers: what each one has been complained about, who infringes again and again, and which
//! accounts (on any marketplace) are run by the same people, judging by shared contact data.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::complaint::{Complaint, ComplaintStatus};
use crate::marketplace::Marketplace;

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
    let mut records = SellerRecords::default();
    for complaint in complaints {
        records.add(complaint);
    }
    records.finish(repeat_threshold)
}

/// [`seller_records`] one complaint at a time, for a caller that reads them a page at a time.
#[derive(Default)]
pub(crate) struct SellerRecords(BTreeMap<SellerKey, SellerRecord>);

impl SellerRecords {
    /// Counts `complaint` into its seller's record, if its seller is known.
    pub(crate) fn add(&mut self, complaint: &Complaint) {
        let Some(seller) = seller_of(complaint) else {
            return;
        };
        let record = self.0.entry(seller).or_default();
        record.complaints += 1;
        record.counter_notices += complaint.counter_notices.len() as u64;
        match complaint.status() {
            ComplaintStatus::ListingRemoved => record.removals += 1,
            ComplaintStatus::Relisted => {
                record.removals += 1;
                record.relistings += 1;
            }
            _ => {}
        }
    }

    /// The records, repeat infringers flagged at `repeat_threshold` removals.
    pub(crate) fn finish(mut self, repeat_threshold: u64) -> BTreeMap<SellerKey, SellerRecord> {
        for record in self.0.values_mut() {
            record.repeat_infringer = record.removals >= repeat_threshold;
        }
        self.0
    }
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
