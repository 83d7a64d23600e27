use super::*;

/// Glance's etc/property-protections-roles.conf.sample, comments trimmed.
const ROLES_SAMPLE: &str = "\
# property-protections-roles.conf.sample
[^x_.*]
create = admin,member,_member_
read = admin,member,_member_
update = admin,member,_member_
delete = admin,member,_member_

[.*]
create = admin
read = admin
update = admin
delete = admin
";

/// Glance's etc/property-protections-policies.conf.sample, comments trimmed.
const POLICIES_SAMPLE: &str = "\
# property-protections-policies.conf.sample
[^x_.*]
create = default
read = default
update = default
delete = default

[.*]
create = context_is_admin
read = context_is_admin
update = context_is_admin
delete = context_is_admin
";

fn who(roles: &[&str]) -> Credentials {
    Credentials::project("p1", roles)
}

#[test]
fn roles_sample() {
    let e = Enforcer::glance_defaults();
    let p = PropertyProtections::parse(ROLES_SAMPLE, RuleFormat::Roles).unwrap();
    assert_eq!(
        p.sections().collect::<Vec<_>>(),
        ["os_glance.*", "^x_.*", ".*"]
    );
    let member = who(&["member", "reader"]);
    let old_member = who(&["_member_"]);
    let admin = who(&["admin"]);
    let reader = who(&["reader"]);
    for op in Operation::ALL {
        assert!(p.allowed("x_owner", op, &member, &e));
        assert!(p.allowed("x_owner", op, &old_member, &e));
        assert!(p.allowed("x_owner", op, &admin, &e));
        assert!(!p.allowed("x_owner", op, &reader, &e));
        // Everything else is for admins only.
        assert!(p.allowed("hw_disk_bus", op, &admin, &e));
        assert!(!p.allowed("hw_disk_bus", op, &member, &e));
        // Glance's own os_glance* properties are open to all.
        assert!(p.allowed("os_glance_import_task", op, &reader, &e));
    }
    // Role names compare lower-cased; service roles count too.
    assert!(p.allowed("hw_disk_bus", Operation::Read, &who(&["ADMIN"]), &e));
    let mut forwarded = who(&["reader"]);
    forwarded.service_roles = vec!["admin".into()];
    assert!(p.allowed("hw_disk_bus", Operation::Update, &forwarded, &e));
    // "x_" must start the name: the section is anchored.
    assert!(!p.allowed("a_x_b", Operation::Read, &member, &e));
}

#[test]
fn policies_sample() {
    let mut e = Enforcer::glance_defaults();
    let p = PropertyProtections::parse(POLICIES_SAMPLE, RuleFormat::Policies).unwrap();
    let anyone = who(&[]);
    let admin = who(&["admin"]);
    for op in Operation::ALL {
        // `default` is "" in Glance's defaults: anyone.
        assert!(p.allowed("x_anything", op, &anyone, &e));
        assert!(p.allowed("hw_disk_bus", op, &admin, &e));
        assert!(!p.allowed("hw_disk_bus", op, &anyone, &e));
    }
    // Registered as Glance does, a policy file can override a section rule
    // by name.
    assert!(p
        .policy_rules()
        .contains(&("^x_.*:create".to_owned(), "rule:default".to_owned())));
    p.register(&mut e).unwrap();
    assert!(p.allowed("x_anything", Operation::Create, &anyone, &e));
    e.load_policy_str("\"^x_.*:create\": \"role:admin\"\n")
        .unwrap();
    assert!(!p.allowed("x_anything", Operation::Create, &anyone, &e));
    assert!(p.allowed("x_anything", Operation::Read, &anyone, &e));
    // And a policy file changes what the named policies mean.
    let mut e = Enforcer::glance_defaults();
    e.load_policy_str("default: role:member\n").unwrap();
    assert!(!p.allowed("x_anything", Operation::Read, &anyone, &e));
    assert!(p.allowed("x_anything", Operation::Read, &who(&["member"]), &e));
}

#[test]
fn policies_format_in_detail() {
    let text = "\
[spl_creator_policy]
create = glance_creator
read = glance_creator
update = context_is_admin
delete = !

[^x_all_permitted.*]
create = @
read = @
update = @
delete = @

[spl_typo]
create = no_such_policy
read =
update = !
delete = !

[.*]
create = context_is_admin
read = context_is_admin
update = context_is_admin
delete = context_is_admin
";
    let mut e = Enforcer::glance_defaults();
    e.load_policy_str("glance_creator: \"role:admin or role:spl_role\"\n")
        .unwrap();
    let p = PropertyProtections::parse(text, RuleFormat::Policies).unwrap();
    let spl = who(&["spl_role"]);
    let admin = who(&["admin"]);
    assert!(p.allowed("spl_creator_policy", Operation::Create, &spl, &e));
    assert!(p.allowed("spl_creator_policy", Operation::Read, &spl, &e));
    assert!(!p.allowed("spl_creator_policy", Operation::Update, &spl, &e));
    assert!(p.allowed("spl_creator_policy", Operation::Update, &admin, &e));
    assert!(!p.allowed("spl_creator_policy", Operation::Delete, &admin, &e));
    assert!(p.allowed("x_all_permitted_foo", Operation::Delete, &who(&[]), &e));
    // A policy that does not exist falls to `default`, which allows anyone.
    assert!(p.allowed("spl_typo", Operation::Create, &who(&[]), &e));
    // An empty operation allows no one.
    assert!(!p.allowed("spl_typo", Operation::Read, &admin, &e));
    assert_eq!(
        p.unassigned_operations(),
        vec![("spl_typo", Operation::Read)]
    );
}

#[test]
fn first_matching_section_wins_and_search_is_unanchored() {
    let text = "\
[x_foo_matcher]
create = admin
read = admin
update = admin
delete = admin

[x_foo_*]
create = @
read = @
update = @
delete = @
";
    let e = Enforcer::glance_defaults();
    let p = PropertyProtections::parse(text, RuleFormat::Roles).unwrap();
    let nobody = who(&[]);
    assert!(!p.allowed("x_foo_matcher", Operation::Read, &nobody, &e));
    // Found anywhere in the name, not only at its start.
    assert!(!p.allowed("my_x_foo_matcher_2", Operation::Read, &nobody, &e));
    assert!(p.allowed("x_foo_bar", Operation::Read, &nobody, &e));
    // `x_foo_*` is "x_foo" followed by any number of '_': found in "x_foo".
    assert!(p.allowed("x_foo", Operation::Read, &nobody, &e));
    // No section matches: refused, even for admins.
    assert!(!p.allowed("hw_disk_bus", Operation::Read, &who(&["admin"]), &e));
}

#[test]
fn os_glance_sections_of_the_file_are_replaced() {
    let text = "\
[os_glance_secret]
create = !
read = !
update = !
delete = !

[.*]
create = admin
read = admin
update = admin
delete = admin
";
    let e = Enforcer::glance_defaults();
    let p = PropertyProtections::parse(text, RuleFormat::Roles).unwrap();
    assert_eq!(p.sections().collect::<Vec<_>>(), ["os_glance.*", ".*"]);
    assert!(p.allowed("os_glance_secret", Operation::Read, &who(&[]), &e));
    // The built-in section is a search too.
    assert!(p.allowed("x_os_glance_y", Operation::Delete, &who(&[]), &e));
}

#[test]
fn roles_with_bang_or_at() {
    let text = "\
[a]
create = admin, !
read = member, @
update = ,
delete =
";
    let e = Enforcer::glance_defaults();
    let p = PropertyProtections::parse(text, RuleFormat::Roles).unwrap();
    assert!(!p.allowed("a", Operation::Create, &who(&["admin"]), &e));
    assert!(p.allowed("a", Operation::Read, &who(&[]), &e));
    assert!(!p.allowed("a", Operation::Update, &who(&["admin"]), &e));
    assert!(!p.allowed("a", Operation::Delete, &who(&["admin"]), &e));
}

#[test]
fn default_section_supplies_missing_operations() {
    let text = "[DEFAULT]\ndelete = admin\n\n[a]\ncreate = @\nread = @\nupdate = @\n";
    let e = Enforcer::glance_defaults();
    let p = PropertyProtections::parse(text, RuleFormat::Roles).unwrap();
    assert!(p.allowed("a", Operation::Delete, &who(&["admin"]), &e));
    assert!(!p.allowed("a", Operation::Delete, &who(&["member"]), &e));
}

#[test]
fn invalid_files_are_refused() {
    use PropertyProtectionError as E;
    let full = |section: &str, create: &str| {
        format!("[{section}]\ncreate = {create}\nread = @\nupdate = @\ndelete = @\n")
    };
    type Case = (String, RuleFormat, fn(&E) -> bool);
    let cases: Vec<Case> = vec![
        (
            "[a]\ncreate = @\nread = @\nupdate = @\n".into(),
            RuleFormat::Roles,
            |e| {
                matches!(
                    e,
                    E::MissingOperation {
                        operation: Operation::Delete,
                        ..
                    }
                )
            },
        ),
        (
            "[a]\ncreate = @\nread = @\nupdate = @\ndelet = @\n".into(),
            RuleFormat::Policies,
            |e| matches!(e, E::MissingOperation { .. }),
        ),
        (full("a", "@,!"), RuleFormat::Roles, |e| {
            matches!(
                e,
                E::EveryoneAndNoOne {
                    operation: Operation::Create,
                    ..
                }
            )
        }),
        (full("(", "@"), RuleFormat::Roles, |e| {
            matches!(e, E::InvalidExpression { .. })
        }),
        (full("a", "p1,p2"), RuleFormat::Policies, |e| {
            matches!(e, E::SeveralPolicies { .. })
        }),
        ("create = @\n".into(), RuleFormat::Roles, |e| {
            matches!(e, E::Syntax { line: 1, .. })
        }),
        (
            format!("{}{}", full("a", "@"), full("a", "@")),
            RuleFormat::Roles,
            |e| matches!(e, E::Syntax { line: 6, .. }),
        ),
        (full("a", "50%"), RuleFormat::Roles, |e| {
            matches!(e, E::Interpolation(_))
        }),
    ];
    for (text, format, expected) in cases {
        let err = PropertyProtections::parse(&text, format).unwrap_err();
        assert!(expected(&err), "{text:?} gave {err:?}");
        assert!(!err.to_string().is_empty());
    }
    // In policies format `!` (and `@`) stand for themselves, not policies.
    let p = PropertyProtections::parse(&full("a", "!"), RuleFormat::Policies).unwrap();
    assert!(!p.allowed(
        "a",
        Operation::Create,
        &who(&["admin"]),
        &Enforcer::glance_defaults()
    ));
}

#[test]
fn rule_format_option() {
    assert_eq!(RuleFormat::parse("Roles"), Some(RuleFormat::Roles));
    assert_eq!(RuleFormat::parse("policies"), Some(RuleFormat::Policies));
    assert_eq!(RuleFormat::parse("acl"), None);
    assert_eq!(RuleFormat::default(), RuleFormat::Roles);
}
