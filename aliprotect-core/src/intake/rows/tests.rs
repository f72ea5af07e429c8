use super::*;

#[test]
fn csv_rows_keep_their_line_numbers_and_bad_rows_do_not_stop_the_rest() {
    let mut input = b"url,title,price\n".to_vec();
    input.extend_from_slice(b"https://www.alibaba.com/product-detail/A_1.html,Earbuds,US$ 3\n");
    input.extend_from_slice(b"https://www.alibaba.com/product-detail/A_2.html,\xff\xfe,1\n");
    input.extend_from_slice(b"https://www.alibaba.com/product-detail/A_3.html,Pods\n");
    let rows = read_rows(IntakeFormat::Csv, input.as_slice());
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].0, 2);
    assert_eq!(
        rows[0].1.as_ref().unwrap().title.as_deref(),
        Some("Earbuds")
    );
    assert_eq!(rows[1].0, 3);
    assert!(matches!(rows[1].1, Err(RowProblem::Malformed(_))));
    assert_eq!(rows[2].0, 4);
    assert_eq!(
        rows[2].1.as_ref().unwrap().title.as_deref(),
        Some("Pods"),
        "short rows are fine"
    );
}

fn urls(rows: &[(usize, Result<IntakeRow, RowProblem>)]) -> Vec<(usize, String)> {
    rows.iter()
        .map(|(line, row)| match row {
            Ok(row) => (*line, row.url.clone()),
            Err(problem) => (*line, format!("error: {problem}")),
        })
        .collect()
}

#[test]
fn url_columns_delimiters_and_plain_lists_are_found() {
    let a = "https://www.alibaba.com/product-detail/A_1.html";
    let b = "https://m.alibaba.com/product/2/B.html";
    let cases = [
        format!("Product URL,Title\n{a},One\n{b},Two\n"),
        format!("title;link;price\nOne;{a};3\nTwo;{b};4\n"),
        format!("id\turl\n1\t{a}\n2\t{b}\n"),
        format!("{a}\n{b}\n"),
        format!("1,{a}\n2,{b}\n"),
    ];
    for input in cases {
        let rows = read_rows(IntakeFormat::Csv, input.as_bytes());
        let got: Vec<String> = urls(&rows).into_iter().map(|(_, url)| url).collect();
        assert_eq!(got, vec![a.to_owned(), b.to_owned()], "{input}");
    }
    let titled = read_rows(
        IntakeFormat::Csv,
        format!("Product URL,Product Name,Supplier\n{a},Earbuds,Acme\n").as_bytes(),
    );
    let row = titled[0].1.as_ref().unwrap();
    assert_eq!(
        (row.title.as_deref(), row.seller.as_deref()),
        (Some("Earbuds"), Some("Acme"))
    );
}

#[test]
fn a_file_without_a_url_column_is_one_problem_saying_so() {
    let rows = read_rows(IntakeFormat::Csv, "name,price\nEarbuds,3\n".as_bytes());
    assert_eq!(rows.len(), 1);
    let problem = rows[0].1.as_ref().unwrap_err().to_string();
    assert!(
        problem.contains("no URL column") && problem.contains("name, price"),
        "{problem}"
    );
    let options = CsvOptions::url_column("Angebot");
    let input = "Angebot;Preis\nhttps://www.alibaba.com/product-detail/A_1.html;3\n";
    let rows = read_rows_with(IntakeFormat::Csv, &options, input.as_bytes());
    assert_eq!(
        urls(&rows),
        vec![(
            2,
            "https://www.alibaba.com/product-detail/A_1.html".to_owned()
        )]
    );
    let rows = read_rows_with(IntakeFormat::Csv, &options, "url\nx\n".as_bytes());
    assert!(urls(&rows)[0].1.contains("no column named `Angebot`"));
}

#[test]
fn an_unterminated_quote_never_makes_one_url_of_several_rows() {
    let input = "url,note\n\
        https://www.alibaba.com/product-detail/A_1.html,\"unterminated\n\
        https://www.alibaba.com/product-detail/B_2.html,ok\n";
    let rows = read_rows(IntakeFormat::Csv, input.as_bytes());
    for (_, row) in &rows {
        if let Ok(row) = row {
            assert!(!row.url.contains(','), "a merged row was read: {}", row.url);
        }
    }
    let problems: Vec<String> = urls(&rows)
        .into_iter()
        .filter(|(_, u)| u.starts_with("error"))
        .map(|(_, u)| u)
        .collect();
    assert_eq!(problems.len(), 1, "{rows:?}");
    assert!(problems[0].contains("unterminated quote"), "{problems:?}");
}

#[test]
fn json_lines_skip_blank_lines_and_report_bad_ones() {
    let input = "{\"url\":\"https://www.alibaba.com/product-detail/A_1.html\"}\n\n{not json}\n";
    let rows = read_rows(IntakeFormat::JsonLines, input.as_bytes());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].0, 3);
    assert!(matches!(rows[1].1, Err(RowProblem::Malformed(_))));
}

#[test]
fn normalising_checks_every_field() {
    let row = |url: &str| IntakeRow {
        url: url.to_owned(),
        ..IntakeRow::default()
    };
    let alibaba = Marketplace::AlibabaCom;
    assert_eq!(row("  ").normalise(alibaba), Err(RowProblem::MissingUrl));
    assert!(matches!(
        row("https://www.aliexpress.com/item/1.html").normalise(alibaba),
        Err(RowProblem::Url(ListingUrlError::ForeignHost { .. }))
    ));
    let mut long = row("https://www.alibaba.com/product-detail/A_1.html");
    long.title = Some("x".repeat(1_001));
    assert!(matches!(
        long.normalise(alibaba),
        Err(RowProblem::TooLong { field: "title", .. })
    ));
    let mut hash = row("https://www.alibaba.com/product-detail/A_1.html");
    hash.image_hash = Some("abc".into());
    assert_eq!(hash.normalise(alibaba), Err(RowProblem::BadImageHash));
}
#[test]
fn crlf_csv_reports_the_same_line_numbers_as_lf() {
    let lf = "url,title\nhttps://www.alibaba.com/product-detail/A_1.html,One\n\nhttps://www.alibaba.com/product-detail/A_2.html,Two\n";
    let crlf = lf.replace('\n', "\r\n");
    let lines = |input: &str| -> Vec<usize> {
        read_rows(IntakeFormat::Csv, input.as_bytes())
            .into_iter()
            .map(|(line, row)| {
                assert!(row.is_ok(), "line {line}: {row:?}");
                line
            })
            .collect()
    };
    assert_eq!(lines(lf), vec![2, 4]);
    assert_eq!(lines(&crlf), vec![2, 4], "CRLF must not shift line numbers");
    let rows = read_rows(IntakeFormat::Csv, crlf.as_bytes());
    assert_eq!(
        rows[1].1.as_ref().unwrap().title.as_deref(),
        Some("Two"),
        "the carriage return is not part of the last field"
    );
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_first_row() {
    let jsonl = "\u{feff}{\"url\":\"https://www.alibaba.com/product-detail/A_1.html\"}\r\n{\"url\":\"x\"}\r\n";
    let rows = read_rows(IntakeFormat::JsonLines, jsonl.as_bytes());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, 1);
    assert!(rows[0].1.is_ok(), "{:?}", rows[0].1);
    assert_eq!(rows[1].0, 2);
    let csv = "\u{feff}url\r\nhttps://www.alibaba.com/product-detail/A_1.html\r\n";
    let rows = read_rows(IntakeFormat::Csv, csv.as_bytes());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, 2);
    assert_eq!(
        rows[0].1.as_ref().unwrap().url,
        "https://www.alibaba.com/product-detail/A_1.html"
    );
}
