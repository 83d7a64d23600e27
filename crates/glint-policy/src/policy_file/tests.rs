use super::*;

fn texts(input: &str) -> Vec<(String, String)> {
    parse(input)
        .unwrap()
        .into_iter()
        .map(|e| match e.rule {
            RuleText::Text(t) => (e.name, t),
            RuleText::List(l) => (e.name, format!("{l:?}")),
        })
        .collect()
}

fn get(input: &str, name: &str) -> String {
    texts(input)
        .into_iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[test]
fn a_generated_sample_reads_as_oslo_reads_it() {
    let text = r#"---
# Defines the default rule used for policies that historically had an
# empty policy in the supplied policy.json file.
#"default": ""

"context_is_admin": "role:admin"
publicize_image: 'role:admin or role:image_publisher'
plain: role:admin or project_id:%(project_id)s   # trailing comment
hash_inside: "role:a#b"
"get_images": "role:reader and
    (project_id:%(project_id)s or 'public':%(visibility)s)"
deny: "!"
quoted_quote: 'it''s'
escapes: "a\tb\"c\u00e9"
empty: ""
null_value:
tilde: ~
"#;
    let entries = parse(text).unwrap();
    assert_eq!(entries[0].name, "context_is_admin");
    assert_eq!(entries[0].line, Some(6));
    assert_eq!(get(text, "context_is_admin"), "role:admin");
    assert_eq!(
        get(text, "publicize_image"),
        "role:admin or role:image_publisher"
    );
    assert_eq!(
        get(text, "plain"),
        "role:admin or project_id:%(project_id)s"
    );
    assert_eq!(get(text, "hash_inside"), "role:a#b");
    assert_eq!(
        get(text, "get_images"),
        "role:reader and (project_id:%(project_id)s or 'public':%(visibility)s)"
    );
    assert_eq!(get(text, "deny"), "!");
    assert_eq!(get(text, "quoted_quote"), "it's");
    assert_eq!(get(text, "escapes"), "a\tb\"c\u{e9}");
    assert_eq!(get(text, "empty"), "");
    assert_eq!(get(text, "null_value"), "");
    assert_eq!(get(text, "tilde"), "");
    assert!(!texts(text).iter().any(|(n, _)| n == "default"));
}

#[test]
fn folding_of_plain_and_quoted_values() {
    let text = "a: role:x or\n  role:y\n\n  or role:z\nb:\n  role:p\n  and role:q\nc: 'one\n  two'\nd: \"tight\\\n   ly\"\n";
    assert_eq!(get(text, "a"), "role:x or role:y\nor role:z");
    assert_eq!(get(text, "b"), "role:p and role:q");
    assert_eq!(get(text, "c"), "one two");
    assert_eq!(get(text, "d"), "tightly");
}

#[test]
fn names_with_colons_and_indented_mappings() {
    let text = "  \"os_glance.*:create\": \"rule:x\"\n  a:b: role:c\n";
    assert_eq!(get(text, "os_glance.*:create"), "rule:x");
    assert_eq!(get(text, "a:b"), "role:c");
}

#[test]
fn nested_and_unsupported_yaml_is_refused_with_its_line() {
    for (text, line) in [
        ("a: b\nnested:\n  - x\n", 3),
        ("a: b\nnested:\n  key: value\n", 3),
        ("a: {b: c}\n", 1),
        ("a: [b]\n", 1),
        ("a: |\n  role:x\n", 1),
        ("a: !\n", 1),
        ("a: @\n", 1),
        ("- a\n", 1),
        ("a: b\n b: c\n", 2),
        ("a: role:x\n  # comment\n  more\n", 3),
        ("a: role:b: c\n", 1),
        ("a: \"open\nb: c\n", 1),
        ("a: 'x' y\n", 1),
        ("just text\n", 1),
        ("a: true\n", 1),
        ("a: 12\n", 1),
        ("a: x\n---\nb: y\n", 2),
        ("\ta: x\n", 1),
    ] {
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, Some(line), "{text:?}: {e}");
    }
}

#[test]
fn json_files() {
    let entries = parse(r#"{"add_image": "role:admin", "x": "", "n": null}"#).unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].rule, RuleText::Text("role:admin".into()));
    assert_eq!(entries[2].rule, RuleText::Text(String::new()));
    let list = parse(r#"{"old": [["role:a", "role:b"], "role:c"]}"#).unwrap();
    assert_eq!(
        list[0].rule,
        RuleText::List(vec![
            vec!["role:a".to_owned(), "role:b".to_owned()],
            vec!["role:c".to_owned()]
        ])
    );
    assert!(parse(r#"{"a": 1}"#).is_err());
    assert!(parse(r#"{"a": [1]}"#).is_err());
    let e = parse("{\n\"a\": \"b\",\n}").unwrap_err();
    assert_eq!(e.line, Some(3));
}

#[test]
fn empty_files_have_no_rules() {
    assert!(parse("").unwrap().is_empty());
    assert!(parse("# only comments\n\n---\n").unwrap().is_empty());
}
