use std::collections::BTreeMap;

use super::*;
use crate::credentials::target;

fn creds(project: &str, roles: &[&str]) -> Credentials {
    Credentials::project(project, roles)
}

fn eval_str(text: &str, c: &Credentials, t: &Target) -> bool {
    Rule::parse(text).unwrap().evaluate(c, t, &NoRules)
}

/// Evaluates with three named checks whose truth is set by roles a, b, c.
fn abc(text: &str, a: bool, b: bool, c: bool) -> bool {
    let roles: Vec<&str> = [("a", a), ("b", b), ("c", c)]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(r, _)| *r)
        .collect();
    eval_str(text, &creds("p", &roles), &Target::new())
}

fn all_cases(text: &str, expected: impl Fn(bool, bool, bool) -> bool) {
    for bits in 0..8u8 {
        let (a, b, c) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
        assert_eq!(
            abc(text, a, b, c),
            expected(a, b, c),
            "{text} with a={a} b={b} c={c}"
        );
    }
}

#[test]
fn special_checks() {
    let c = creds("p", &[]);
    let t = Target::new();
    assert!(eval_str("", &c, &t));
    assert!(eval_str("@", &c, &t));
    assert!(!eval_str("!", &c, &t));
    assert!(eval_str("not !", &c, &t));
    assert_eq!(Rule::parse("").unwrap(), Rule::always());
}

#[test]
fn precedence_not_over_and_over_or() {
    all_cases("role:a or role:b and role:c", |a, b, c| a || (b && c));
    all_cases("role:a and role:b or role:c", |a, b, c| (a && b) || c);
    all_cases("not role:a and role:b", |a, b, _| !a && b);
    all_cases("not role:a or role:b and not role:c", |a, b, c| {
        !a || (b && !c)
    });
    all_cases("role:a and not role:b or role:c and role:b", |a, b, c| {
        (a && !b) || (c && b)
    });
    all_cases("not not role:a", |a, _, _| a);
}

#[test]
fn parentheses_and_keyword_case() {
    all_cases("(role:a or role:b) and role:c", |a, b, c| (a || b) && c);
    all_cases("role:a AND (role:b Or role:c)", |a, b, c| a && (b || c));
    all_cases("NOT (role:a or role:b)", |a, b, _| !(a || b));
    all_cases("((role:a))", |a, _, _| a);
    all_cases("( not (role:a) ) and role:b", |a, b, _| !a && b);
}

#[test]
fn structural_errors_are_reported_and_lenient_parse_refuses() {
    for text in [
        "role:a or",
        "and role:a",
        "(role:a",
        "role:a)",
        "role:a role:b",
        "not",
        "()",
        "   ",
        "\"role:a\"",
        "role:a or 'quoted'",
    ] {
        let err = Rule::parse(text).unwrap_err();
        assert_eq!(err.text, text);
        let (rule, problems) = Rule::parse_lenient(text);
        assert_eq!(problems.len(), 1, "{text}");
        assert!(
            !rule.evaluate(&creds("p", &["a", "b"]), &Target::new(), &NoRules),
            "{text} must refuse"
        );
    }
}

#[test]
fn a_check_without_colon_is_false_but_the_rest_stands() {
    assert!(Rule::parse("bogus or role:a").is_err());
    let (rule, problems) = Rule::parse_lenient("bogus or role:a");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].problem.contains("bogus"));
    assert!(rule.evaluate(&creds("p", &["a"]), &Target::new(), &NoRules));
    assert!(!rule.evaluate(&creds("p", &[]), &Target::new(), &NoRules));
}

#[test]
fn roles_compare_case_insensitively_and_can_substitute() {
    let c = creds("p", &["Admin", "member"]);
    let t = target([("wanted", "MEMBER")]);
    assert!(eval_str("role:admin", &c, &t));
    assert!(eval_str("role:ADMIN", &c, &t));
    assert!(eval_str("role:%(wanted)s", &c, &t));
    assert!(!eval_str("role:%(missing)s", &c, &t));
    assert!(!eval_str("role:reader", &c, &t));
    // Service roles are not roles.
    let mut s = creds("p", &[]);
    s.service_roles = vec!["service".into()];
    assert!(!eval_str("role:service", &s, &t));
    assert!(eval_str("service_roles:service", &s, &t));
}

#[test]
fn generic_checks() {
    let mut c = creds("p1", &["reader"]);
    c.user_id = Some("u1".into());
    c.is_admin = true;
    let t = target([
        ("project_id", "p1"),
        ("owner", "p2"),
        ("visibility", "public"),
    ]);
    assert!(eval_str("project_id:%(project_id)s", &c, &t));
    assert!(!eval_str("project_id:%(owner)s", &c, &t));
    assert!(
        !eval_str("project_id:%(member_id)s", &c, &t),
        "missing target key"
    );
    assert!(eval_str("user_id:u1", &c, &t));
    assert!(eval_str(
        "project_id:p%(nothing)s1",
        &c,
        &target([("nothing", "")])
    ));
    assert!(eval_str("is_admin:True", &c, &t));
    assert!(
        !eval_str("is_admin:true", &c, &t),
        "Python's str(True) is 'True'"
    );
    assert!(eval_str("is_admin_project:True", &c, &t));
    assert!(eval_str("roles:reader", &c, &t), "any element of a list");
    assert!(
        !eval_str("domain_id:%(project_id)s", &c, &t),
        "unset credential"
    );
    assert!(!eval_str("no_such_key:x", &c, &t));
    assert!(!eval_str("Role:reader", &c, &t), "kinds are case-sensitive");
}

#[test]
fn quoted_literal_on_the_left() {
    let c = creds("p", &[]);
    let public = target([("visibility", "public")]);
    let private = target([("visibility", "private")]);
    assert!(eval_str("'public':%(visibility)s", &c, &public));
    assert!(eval_str("\"public\":%(visibility)s", &c, &public));
    assert!(!eval_str("'public':%(visibility)s", &c, &private));
    assert!(!eval_str("'public':%(other)s", &c, &public));
    assert!(eval_str("True:%(flag)s", &c, &target([("flag", "True")])));
    assert!(eval_str("42:%(n)s", &c, &target([("n", "42")])));
    assert!(eval_str("'it\\'s':%(v)s", &c, &target([("v", "it's")])));
}

#[test]
fn percent_formatting() {
    let c = creds("50%", &[]);
    assert!(eval_str("project_id:50%%", &c, &Target::new()));
    assert!(Rule::parse("project_id:50%").is_err());
    assert!(Rule::parse("project_id:%(x)d").is_err());
    let (rule, _) = Rule::parse_lenient("project_id:%(x)d or @");
    assert!(rule.evaluate(&c, &Target::new(), &NoRules));
}

#[test]
fn remote_checks_parse_and_refuse() {
    let rule = Rule::parse("http://policy.example.com/check or role:a").unwrap();
    assert!(!rule.evaluate(&creds("p", &[]), &Target::new(), &NoRules));
    assert!(rule.evaluate(&creds("p", &["a"]), &Target::new(), &NoRules));
    assert!(!eval_str("https://x/y", &creds("p", &[]), &Target::new()));
}

#[test]
fn rule_references_and_cycles() {
    let mut rules: BTreeMap<String, Rule> = BTreeMap::new();
    rules.insert("admin".into(), Rule::parse("role:admin").unwrap());
    rules.insert(
        "loop_a".into(),
        Rule::parse("rule:loop_b or role:x").unwrap(),
    );
    rules.insert("loop_b".into(), Rule::parse("rule:loop_a").unwrap());
    rules.insert("self".into(), Rule::parse("not rule:self").unwrap());
    let admin = creds("p", &["admin"]);
    let x = creds("p", &["x"]);
    let nobody = creds("p", &[]);
    let t = Target::new();
    let check = |text: &str, c: &Credentials| Rule::parse(text).unwrap().evaluate(c, &t, &rules);
    assert!(check("rule:admin", &admin));
    assert!(!check("rule:admin", &nobody));
    assert!(!check("rule:unknown", &admin), "no fallback in a plain map");
    assert!(check("rule:loop_a", &x));
    assert!(
        !check("rule:loop_a", &nobody),
        "the cycle is cut, not followed forever"
    );
    // `self` refers to itself: the inner reference is false, so `not` is true.
    assert!(check("rule:self", &nobody));
    assert_eq!(
        Rule::parse("rule:a and (rule:b or not rule:c)")
            .unwrap()
            .references(),
        vec!["a", "b", "c"]
    );
}

#[test]
fn legacy_list_syntax() {
    let (rule, problems) = Rule::from_list(&[
        vec!["role:a".into(), "role:b".into()],
        vec!["role:c".into()],
    ]);
    assert!(problems.is_empty());
    let t = Target::new();
    assert!(rule.evaluate(&creds("p", &["a", "b"]), &t, &NoRules));
    assert!(rule.evaluate(&creds("p", &["c"]), &t, &NoRules));
    assert!(!rule.evaluate(&creds("p", &["a"]), &t, &NoRules));
    let (empty, _) = Rule::from_list(&[]);
    assert!(empty.evaluate(&creds("p", &[]), &t, &NoRules));
    let (only_empty, _) = Rule::from_list(&[vec![]]);
    assert!(!only_empty.evaluate(&creds("p", &[]), &t, &NoRules));
}

#[test]
fn absurd_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!("{}role:a{}", "(".repeat(5000), ")".repeat(5000));
    assert!(Rule::parse(&deep).is_err());
    let nots = format!("{}role:a", "not ".repeat(5000));
    assert!(Rule::parse(&nots).is_err());
    let fine = format!("{}role:a{}", "(".repeat(50), ")".repeat(50));
    assert!(eval_str(&fine, &creds("p", &["a"]), &Target::new()));

    let mut chain: BTreeMap<String, Rule> = BTreeMap::new();
    for i in 0..10_000 {
        chain.insert(
            format!("r{i}"),
            Rule::parse(&format!("rule:r{}", i + 1)).unwrap(),
        );
    }
    chain.insert("r10000".into(), Rule::always());
    let short = Rule::parse("rule:r9990").unwrap();
    assert!(short.evaluate(&creds("p", &[]), &Target::new(), &chain));
    let long = Rule::parse("rule:r0").unwrap();
    assert!(!long.evaluate(&creds("p", &[]), &Target::new(), &chain));
}
