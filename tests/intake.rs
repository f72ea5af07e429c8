//! Bulk intake from CSV and JSON Lines: bad rows reported with their line and reason without
//! stopping the import, duplicates (in the file, or already under complaint) not filed twice,
//! filings split at the policy's limit, progress reported.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use aliprotect::complaint::{ComplaintReason, ComplaintStatus};
use aliprotect::engine::IntakeReport;
use aliprotect::intake::{DuplicateOf, IntakeFormat, IntakeRequest, RowProblem};
use aliprotect::listing::ListingUrlError;
use aliprotect::marketplace::Marketplace;
use aliprotect::testkit::fixtures::{self, text};
use common::Harness;

fn request(h: &Harness, right: aliprotect::ids::RightId, submit: bool) -> IntakeRequest {
    IntakeRequest {
        tenant: h.tenant,
        actor: fixtures::holder_user(),
        marketplace: Marketplace::AlibabaCom,
        right,
        reason: ComplaintReason::TrademarkCounterfeit,
        explanation: text("Counterfeit earbuds bearing our mark"),
        campaign: None,
        submit,
    }
}

/// Imports `rows`, which must not fail as a whole, without looking at the progress reports.
async fn import(
    h: &Harness,
    request: &IntakeRequest,
    format: IntakeFormat,
    rows: &str,
) -> IntakeReport {
    h.engine
        .intake(request, format, rows.as_bytes(), |_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn a_csv_of_keyword_search_results_is_filed_row_by_row() {
    let h = Harness::new();
    let right = h.approved_right().await;
    // Already under complaint before the import: product 1_000_005.
    let open = h.filed(right, 1_000_005).await;

    let mut csv = String::from("url,title,seller,price,image_hash\n");
    let mut expected_bad = BTreeMap::new();
    for i in 0..650u64 {
        csv.push_str(&format!(
            "https://www.alibaba.com/product-detail/TWS-Earbuds_{}.html?spm=a2700.{i},\"Earbuds, model {i}\",Shenzhen Audio {},US$ {}.50,{}\n",
            1_000_000 + i,
            i % 40,
            i % 9,
            "ab".repeat(32)
        ));
    }
    // Twenty rows repeating earlier listings under other URLs (mobile host, tracking, fragment).
    for i in 0..20u64 {
        csv.push_str(&format!(
            "http://m.alibaba.com/product-detail/Other-Title_{}.html#x,,,,\n",
            1_000_100 + i
        ));
    }
    let bad_rows = [
        ("https://www.aliexpress.com/item/1005.html,,,,", "foreign"),
        ("not-a-url,,,,", "malformed"),
        (",Earbuds,,,", "missing"),
        (
            "https://www.alibaba.com/product-detail/A_77.html,,,,xyz",
            "hash",
        ),
    ];
    for (row, why) in bad_rows {
        let line = csv.lines().count() + 1;
        csv.push_str(row);
        csv.push('\n');
        expected_bad.insert(line, why);
    }
    let long_title_line = csv.lines().count() + 1;
    csv.push_str(&format!(
        "https://www.alibaba.com/product-detail/A_78.html,{},,,\n",
        "t".repeat(1_001)
    ));

    let mut reports = Vec::new();
    let report = h
        .engine
        .intake(
            &request(&h, right, false),
            IntakeFormat::Csv,
            csv.as_bytes(),
            |p| reports.push(p),
        )
        .await
        .unwrap();

    // 650 listings, one of which is already under complaint.
    assert_eq!(report.filed.len(), 649);
    assert_eq!(report.filings.len(), 3, "300 + 300 + 49");
    let mut per_filing: BTreeMap<_, usize> = BTreeMap::new();
    for filed in &report.filed {
        *per_filing.entry(filed.filing).or_default() += 1;
    }
    assert_eq!(per_filing.values().max(), Some(&300));
    assert_eq!(report.duplicates.len(), 21);
    assert!(
        report
            .duplicates
            .iter()
            .any(|d| d.of == DuplicateOf::OpenComplaint(open))
    );
    let in_file: Vec<_> = report
        .duplicates
        .iter()
        .filter_map(|d| match d.of {
            DuplicateOf::Row(first) => Some((d.line, first)),
            DuplicateOf::OpenComplaint(_) => None,
        })
        .collect();
    assert_eq!(in_file.len(), 20);
    assert_eq!(
        in_file[0],
        (652, 102),
        "line 652 repeats the listing of line 102"
    );

    assert_eq!(report.rejected.len(), 5);
    for rejected in &report.rejected {
        match expected_bad.get(&rejected.line) {
            Some(&"foreign") => assert!(matches!(
                rejected.problem,
                RowProblem::Url(ListingUrlError::ForeignHost { .. })
            )),
            Some(&"malformed") => assert!(matches!(
                rejected.problem,
                RowProblem::Url(ListingUrlError::Malformed(_))
            )),
            Some(&"missing") => assert_eq!(rejected.problem, RowProblem::MissingUrl),
            Some(&"hash") => assert_eq!(rejected.problem, RowProblem::BadImageHash),
            _ => {
                assert_eq!(rejected.line, long_title_line);
                assert!(matches!(
                    rejected.problem,
                    RowProblem::TooLong { field: "title", .. }
                ));
            }
        }
    }
    assert!(report.refused.is_empty());

    // The details of each row travel with its complaint.
    let first = h.complaint(report.filed[0].complaint).await;
    assert_eq!(
        first.filed.details.title.as_deref(),
        Some("Earbuds, model 0")
    );
    assert_eq!(
        first.filed.details.seller_name.as_deref(),
        Some("Shenzhen Audio 0")
    );
    assert!(first.filed.details.image_hash.is_some());
    assert_eq!(first.status(), ComplaintStatus::Draft);

    let last = *reports.last().unwrap();
    assert_eq!(
        (
            last.rows,
            last.filed,
            last.duplicates,
            last.failed,
            last.to_file
        ),
        (675, 649, 21, 5, 649)
    );
    assert!(reports.len() >= 2, "progress before and during filing");
}

#[tokio::test]
async fn a_small_import_into_a_large_campaign_finds_its_duplicates_listing_by_listing() {
    let h = Harness::new();
    let right = h.approved_right().await;
    let other_right = h.approved_right().await;
    // Many more open complaints than rows: the import asks about its own listings only.
    let mut open = Vec::new();
    for product in 0..40u64 {
        open.push(h.filed(right, 2_000_000 + product).await);
    }
    // One open complaint per listing: one resting on another right makes a duplicate too.
    let other = h.filed(other_right, 2_000_100).await;
    let csv = "url\n\
        https://www.alibaba.com/product-detail/X_2000003.html\n\
        https://www.alibaba.com/product-detail/X_2000100.html\n\
        https://www.alibaba.com/product-detail/X_2000200.html\n\
        https://m.alibaba.com/product-detail/Y_2000039.html?spm=1\n";
    let report = import(&h, &request(&h, right, false), IntakeFormat::Csv, csv).await;
    let duplicates: Vec<(usize, DuplicateOf)> = report
        .duplicates
        .iter()
        .map(|d| (d.line, d.of.clone()))
        .collect();
    assert_eq!(
        duplicates,
        vec![
            (2, DuplicateOf::OpenComplaint(open[3])),
            (3, DuplicateOf::OpenComplaint(other)),
            (5, DuplicateOf::OpenComplaint(open[39]))
        ]
    );
    let filed: Vec<usize> = report.filed.iter().map(|f| f.line).collect();
    assert_eq!(filed, vec![4]);
}

#[tokio::test]
async fn json_lines_filed_and_submitted_or_staged_as_the_right_allows() {
    let h = Harness::new();
    let right = h.approved_right().await;
    let jsonl = "{\"url\":\"https://www.alibaba.com/product-detail/X_501.html\",\"title\":\"Pods\"}\n\
                 \n\
                 {\"url\": 42}\n\
                 {\"url\":\"https://www.alibaba.com/product-detail/X_502.html\"}\n";
    let report = import(
        &h,
        &request(&h, right, true),
        IntakeFormat::JsonLines,
        jsonl,
    )
    .await;
    assert_eq!(report.filed.len(), 2);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].line, 3);
    for filed in &report.filed {
        let complaint = h.complaint(filed.complaint).await;
        assert_eq!(complaint.status(), ComplaintStatus::Submitted);
    }

    // A right still under review: the rows are staged, to be filed on approval.
    let pending = aliprotect::ids::RightId::new();
    h.holder(h.register(pending)).await;
    let submit = aliprotect::right::RightCommand::Submit;
    h.holder(aliprotect::engine::Command::right(pending, submit))
        .await;
    let report = import(
        &h,
        &request(&h, pending, true),
        IntakeFormat::JsonLines,
        "{\"url\":\"https://www.alibaba.com/product-detail/X_601.html\"}",
    )
    .await;
    assert_eq!(report.filed.len(), 1);
    let staged = h.complaint(report.filed[0].complaint).await;
    assert_eq!(staged.status(), ComplaintStatus::Staged);
}

#[tokio::test]
async fn rows_on_a_right_that_cannot_carry_them_are_refused_one_by_one() {
    let h = Harness::new();
    let right = h.approved_right().await;
    let mut wrong = request(&h, right, false);
    wrong.reason = ComplaintReason::PatentCopiedDesign; // does not fit a trademark
    let rows = "{\"url\":\"https://www.alibaba.com/product-detail/X_701.html\"}\n\
                {\"url\":\"https://www.alibaba.com/product-detail/X_702.html\"}";
    let report = import(&h, &wrong, IntakeFormat::JsonLines, rows).await;
    assert!(report.filed.is_empty());
    assert_eq!(report.refused.len(), 2);
    assert_eq!(report.refused[1].0, 2);
}

#[tokio::test]
async fn relistings_are_linked_only_on_strong_evidence() {
    use aliprotect::complaint::Stage;
    use aliprotect::relisting::MatchedBy;
    let h = Harness::new();
    let right = h.approved_right().await;
    let hash = "cd".repeat(32);
    // Three listings, filed by import and then removed.
    let first = format!(
        "url,title,image_hash\n\
         https://www.alibaba.com/product-detail/P_1.html,Something else,\n\
         https://copyshop.en.alibaba.com/product/3.html,Earbuds Pro X,{hash}\n\
         https://copyshop.en.alibaba.com/product/4.html,Wireless Charging Case Z,\n"
    );
    let report = import(&h, &request(&h, right, true), IntakeFormat::Csv, &first).await;
    assert_eq!(report.filed.len(), 3);
    for filed in &report.filed {
        h.accept(filed.complaint).await;
        h.removed(filed.complaint).await;
    }
    let removed: Vec<_> = report.filed.iter().map(|f| f.complaint).collect();

    // The first product is back under its mobile URL; the seller lists the others anew.
    let second = format!(
        "url,title,image_hash\n\
         https://m.alibaba.com/product/1/Renamed.html,Brand new pods,\n\
         https://copyshop.en.alibaba.com/product/13.html,Brand new pods,{hash}\n\
         https://copyshop.en.alibaba.com/product/14.html,  NEW wireless charging CASE-z!,\n\
         https://copyshop.en.alibaba.com/product/15.html,Unrelated title,\n\
         https://www.alibaba.com/product-detail/Other_16.html,Earbuds Pro X,{hash}\n"
    );
    let report = import(&h, &request(&h, right, false), IntakeFormat::Csv, &second).await;
    assert_eq!(report.filed.len(), 5, "relistings are filed too");
    let found: Vec<_> = report
        .relistings
        .iter()
        .map(|(line, m)| (*line, m.previous, m.by))
        .collect();
    assert_eq!(
        found,
        vec![
            (2, removed[0], MatchedBy::SameProduct),
            (3, removed[1], MatchedBy::SellerAndImage),
            (4, removed[2], MatchedBy::SellerAndTitle),
        ],
        "the same seller alone (line 5) or the same image of another seller (line 6) is no relisting"
    );
    for (previous, filed) in removed.iter().zip(&report.filed) {
        let earlier = h.complaint(*previous).await;
        assert_eq!(
            earlier.stage,
            Stage::Relisted {
                successor: filed.complaint
            }
        );
    }
    let records = h.engine.read().seller_records(h.tenant).await.unwrap();
    let copyshop = records
        .get(&(Marketplace::AlibabaCom, "copyshop".to_owned()))
        .unwrap();
    assert_eq!(
        (copyshop.complaints, copyshop.removals, copyshop.relistings),
        (5, 2, 2)
    );
    assert!(
        !copyshop.repeat_infringer,
        "two removals are below the threshold of three"
    );
}

#[tokio::test]
async fn a_campaign_decides_whether_relistings_are_filed_or_held() {
    use aliprotect::campaign::{Campaign, CampaignCommand, CampaignRule};
    use aliprotect::engine::{Command, EngineError};
    use aliprotect::ids::CampaignId;
    let h = Harness::new();
    let right = h.approved_right().await;
    let campaign = |id, auto| {
        Campaign::new(id, h.tenant, text("Cases"), vec![right], fixtures::now())
            .auto_file_relistings(auto)
    };
    let create = |campaign: Campaign| {
        Command::campaign(campaign.id, CampaignCommand::Create(Box::new(campaign)))
    };
    let careful = CampaignId::new();
    h.holder(create(campaign(careful, false))).await;
    let mut with_campaign = request(&h, right, true);
    with_campaign.campaign = Some(careful);
    let first = "{\"url\":\"https://shopx.en.alibaba.com/product/1.html\"}";
    let report = import(&h, &with_campaign, IntakeFormat::JsonLines, first).await;
    let earlier = report.filed[0].complaint;
    h.accept(earlier).await;
    h.removed(earlier).await;
    // The removed product is back (its mobile URL).
    let again = "{\"url\":\"https://m.alibaba.com/product/1/Earbuds.html\"}";
    let report = import(&h, &with_campaign, IntakeFormat::JsonLines, again).await;
    assert!(report.filed.is_empty(), "held for a person");
    assert_eq!(report.held_relistings.len(), 1);
    assert_eq!(report.held_relistings[0].1.previous, earlier);

    // Unknown campaigns and rights outside the campaign are refused as a whole.
    with_campaign.campaign = Some(CampaignId::new());
    assert!(matches!(
        h.engine
            .intake(
                &with_campaign,
                IntakeFormat::JsonLines,
                again.as_bytes(),
                |_| {}
            )
            .await,
        Err(EngineError::UnknownCampaign(_))
    ));
    let other_right = aliprotect::ids::RightId::new();
    let mut bad = campaign(CampaignId::new(), true);
    bad.rights.push(other_right);
    assert!(matches!(
        h.run(fixtures::holder_user(), create(bad)).await,
        Err(EngineError::CampaignRefused(refusal))
            if refusal.rule == CampaignRule::RightNotApproved(other_right)
    ));

    // An archived campaign takes no more complaints.
    h.holder(Command::campaign(
        careful,
        CampaignCommand::Archive { reason: None },
    ))
    .await;
    with_campaign.campaign = Some(careful);
    assert!(matches!(
        h.engine
            .intake(&with_campaign, IntakeFormat::JsonLines, again.as_bytes(), |_| {})
            .await,
        Err(EngineError::ArchivedCampaign(id)) if id == careful
    ));
}
