use super::*;
use crate::credentials::{
    image_target, namespace_target, new_image_target, project_target, target,
};

/// The personas of Glance's secure RBAC, with keystone's implied roles
/// (admin ⊃ member ⊃ reader) spelled out.
struct People {
    admin: Credentials,
    member: Credentials,
    reader: Credentials,
    other: Credentials,
    system_admin: Credentials,
    service: Credentials,
}

fn people() -> People {
    People {
        admin: Credentials::project("admin-project", &["admin", "member", "reader"]),
        member: Credentials::project("p1", &["member", "reader"]),
        reader: Credentials::project("p1", &["reader"]),
        other: Credentials::project("p2", &["member", "reader"]),
        system_admin: Credentials::system(&["admin", "member", "reader"]),
        service: Credentials::project("service", &["service"]),
    }
}

/// An image owned by p1 as `who` sees it (Glance sets `member_id` from the
/// caller for shared images it does not own).
fn image(visibility: &str, who: &Credentials) -> Target {
    image_target("img-1", Some("p1"), visibility, who.project_id.as_deref())
}

fn allowed(e: &Enforcer, name: &str, who: &Credentials, t: &Target) -> bool {
    e.enforce(name, who, t).allowed
}

#[test]
fn glance_defaults_are_complete_and_parse() {
    let defaults = glance_rule_defaults();
    assert_eq!(defaults.len(), 67);
    for d in &defaults {
        Rule::parse(&d.check_str).unwrap();
        if let Some(old) = &d.deprecated_check_str {
            Rule::parse(old).unwrap();
        }
    }
    let e = Enforcer::glance_defaults();
    assert!(e.check_rules().is_empty(), "{:?}", e.check_rules());
    let get_image = e.registered("get_image").unwrap();
    assert_eq!(
        get_image.check_str,
        "rule:context_is_admin or (role:reader and (project_id:%(project_id)s or \
         project_id:%(member_id)s or 'community':%(visibility)s or 'public':%(visibility)s or \
         'shared':%(visibility)s))"
    );
    assert_eq!(get_image.scope_types, vec![Scope::Project]);
    assert_eq!(
        get_image.deprecated_check_str.as_deref(),
        Some("rule:default")
    );
    let default = e.registered("default").unwrap();
    assert_eq!(default.check_str, "");
    assert!(default.scope_types.is_empty());
    assert_eq!(
        e.registered("stores_info_detail").unwrap().check_str,
        "rule:context_is_admin or rule:service_api"
    );
    assert!(e.registered("modify_task").unwrap().deprecated_for_removal);
    assert_eq!(
        e.registered("service_api").unwrap().check_str,
        "role:service or role:admin"
    );
}

#[test]
fn image_rules_for_each_persona() {
    let e = Enforcer::glance_defaults();
    let p = people();
    let own_project = |who: &Credentials| project_target(who);
    // (rule, persona, target, expected)
    let cases: Vec<(&str, &Credentials, Target, bool)> = vec![
        ("get_images", &p.admin, own_project(&p.admin), true),
        ("get_images", &p.member, own_project(&p.member), true),
        ("get_images", &p.reader, own_project(&p.reader), true),
        ("get_images", &p.other, own_project(&p.other), true),
        (
            "get_images",
            &p.system_admin,
            own_project(&p.system_admin),
            false,
        ),
        ("get_images", &p.service, own_project(&p.service), false),
        // A private image of p1.
        ("get_image", &p.admin, image("private", &p.admin), true),
        ("get_image", &p.member, image("private", &p.member), true),
        ("get_image", &p.reader, image("private", &p.reader), true),
        ("get_image", &p.other, image("private", &p.other), false),
        (
            "get_image",
            &p.system_admin,
            image("private", &p.system_admin),
            false,
        ),
        ("get_image", &p.service, image("private", &p.service), false),
        // Public, community and shared images of p1, seen from p2.
        ("get_image", &p.other, image("public", &p.other), true),
        ("get_image", &p.other, image("community", &p.other), true),
        ("get_image", &p.other, image("shared", &p.other), true),
        ("get_image", &p.service, image("public", &p.service), false),
        // Creating: the owner must be the caller's project unless admin.
        (
            "add_image",
            &p.member,
            new_image_target(&p.member, None, None),
            true,
        ),
        (
            "add_image",
            &p.reader,
            new_image_target(&p.reader, None, None),
            false,
        ),
        (
            "add_image",
            &p.other,
            new_image_target(&p.other, Some("p1"), None),
            false,
        ),
        (
            "add_image",
            &p.admin,
            new_image_target(&p.admin, Some("p1"), None),
            true,
        ),
        (
            "add_image",
            &p.system_admin,
            new_image_target(&p.system_admin, Some("p1"), None),
            false,
        ),
        (
            "add_image",
            &p.service,
            new_image_target(&p.service, None, None),
            false,
        ),
        (
            "publicize_image",
            &p.admin,
            image("private", &p.admin),
            true,
        ),
        (
            "publicize_image",
            &p.member,
            image("private", &p.member),
            false,
        ),
        (
            "communitize_image",
            &p.member,
            image("private", &p.member),
            true,
        ),
        (
            "communitize_image",
            &p.reader,
            image("private", &p.reader),
            false,
        ),
        (
            "communitize_image",
            &p.other,
            image("private", &p.other),
            false,
        ),
        ("modify_image", &p.admin, image("private", &p.admin), true),
        ("modify_image", &p.member, image("private", &p.member), true),
        (
            "modify_image",
            &p.reader,
            image("private", &p.reader),
            false,
        ),
        ("modify_image", &p.other, image("public", &p.other), false),
        (
            "modify_image",
            &p.system_admin,
            image("private", &p.system_admin),
            false,
        ),
        ("delete_image", &p.member, image("private", &p.member), true),
        (
            "delete_image",
            &p.reader,
            image("private", &p.reader),
            false,
        ),
        ("delete_image", &p.other, image("shared", &p.other), false),
        ("delete_image", &p.admin, image("public", &p.admin), true),
        (
            "download_image",
            &p.member,
            image("private", &p.member),
            true,
        ),
        (
            "download_image",
            &p.reader,
            image("private", &p.reader),
            false,
        ),
        (
            "download_image",
            &p.other,
            image("private", &p.other),
            false,
        ),
        ("download_image", &p.other, image("public", &p.other), true),
        ("download_image", &p.other, image("shared", &p.other), true),
        (
            "download_image",
            &p.service,
            image("public", &p.service),
            false,
        ),
        ("upload_image", &p.member, image("private", &p.member), true),
        ("upload_image", &p.other, image("shared", &p.other), false),
        ("deactivate", &p.admin, image("private", &p.admin), true),
        ("deactivate", &p.member, image("private", &p.member), true),
        ("deactivate", &p.reader, image("private", &p.reader), false),
        ("deactivate", &p.other, image("public", &p.other), false),
        ("reactivate", &p.member, image("private", &p.member), true),
        ("reactivate", &p.other, image("public", &p.other), false),
        (
            "reactivate",
            &p.system_admin,
            image("private", &p.system_admin),
            false,
        ),
        ("copy_image", &p.admin, image("private", &p.admin), true),
        ("copy_image", &p.member, image("private", &p.member), false),
        (
            "add_image_location",
            &p.service,
            image("private", &p.service),
            true,
        ),
        (
            "add_image_location",
            &p.member,
            image("private", &p.member),
            true,
        ),
        (
            "add_image_location",
            &p.other,
            image("shared", &p.other),
            false,
        ),
        (
            "fetch_image_location",
            &p.service,
            image("private", &p.service),
            true,
        ),
        (
            "fetch_image_location",
            &p.member,
            image("private", &p.member),
            false,
        ),
        (
            "delete_image_location",
            &p.member,
            image("private", &p.member),
            false,
        ),
    ];
    for (name, who, t, expected) in cases {
        assert_eq!(
            allowed(&e, name, who, &t),
            expected,
            "{name} for {who:?} on {t:?}"
        );
    }
}

#[test]
fn member_rules_for_each_persona() {
    let e = Enforcer::glance_defaults();
    let p = people();
    let cases: Vec<(&str, &Credentials, Target, bool)> = vec![
        // The owner adds, lists and removes members.
        ("add_member", &p.member, image("shared", &p.member), true),
        ("add_member", &p.reader, image("shared", &p.reader), false),
        ("add_member", &p.other, image("shared", &p.other), false),
        ("add_member", &p.admin, image("shared", &p.admin), true),
        ("get_members", &p.reader, image("shared", &p.reader), true),
        ("get_members", &p.other, image("shared", &p.other), true),
        ("get_members", &p.other, image("private", &p.other), false),
        ("get_member", &p.other, image("shared", &p.other), true),
        ("get_member", &p.service, image("shared", &p.service), false),
        ("delete_member", &p.member, image("shared", &p.member), true),
        ("delete_member", &p.other, image("shared", &p.other), false),
        // Only the member (not the owner) accepts or rejects.
        ("modify_member", &p.other, image("shared", &p.other), true),
        (
            "modify_member",
            &p.member,
            image("shared", &p.member),
            false,
        ),
        ("modify_member", &p.admin, image("shared", &p.admin), true),
        (
            "modify_member",
            &p.system_admin,
            image("shared", &p.system_admin),
            false,
        ),
    ];
    for (name, who, t, expected) in cases {
        assert_eq!(
            allowed(&e, name, who, &t),
            expected,
            "{name} for {who:?} on {t:?}"
        );
    }
}

#[test]
fn tasks_metadefs_cache_and_discovery() {
    let e = Enforcer::glance_defaults();
    let p = people();
    let none = Target::new();
    let public_ns = namespace_target(Some("p9"), "public");
    let private_ns = namespace_target(Some("p9"), "private");
    let own_ns = namespace_target(Some("p1"), "private");
    let reader_project = project_target(&p.reader);
    let admin_project = project_target(&p.admin);
    let member_project = project_target(&p.member);
    let cases: Vec<(&str, &Credentials, &Target, bool)> = vec![
        ("tasks_api_access", &p.admin, &none, true),
        ("tasks_api_access", &p.member, &none, false),
        ("tasks_api_access", &p.system_admin, &none, false),
        // The per-task rules are `rule:default`, open to any project token.
        ("get_task", &p.reader, &none, true),
        ("get_tasks", &p.service, &none, true),
        ("add_task", &p.other, &none, true),
        ("get_task", &p.system_admin, &none, false),
        ("get_metadef_namespace", &p.reader, &public_ns, true),
        ("get_metadef_namespace", &p.other, &public_ns, true),
        ("get_metadef_namespace", &p.other, &private_ns, false),
        ("get_metadef_namespace", &p.reader, &own_ns, true),
        ("get_metadef_namespace", &p.admin, &private_ns, true),
        ("get_metadef_namespace", &p.service, &public_ns, false),
        ("get_metadef_namespaces", &p.reader, &reader_project, true),
        ("add_metadef_namespace", &p.admin, &admin_project, true),
        ("add_metadef_namespace", &p.member, &member_project, false),
        ("delete_metadef_tags", &p.member, &own_ns, false),
        ("modify_metadef_object", &p.admin, &private_ns, true),
        ("cache_image", &p.admin, &none, true),
        ("cache_image", &p.member, &none, false),
        ("cache_list", &p.admin, &none, true),
        ("cache_list", &p.reader, &none, false),
        ("cache_delete", &p.admin, &none, true),
        ("cache_clean", &p.member, &none, false),
        ("cache_prune", &p.admin, &none, true),
        ("cache_prune", &p.system_admin, &none, false),
        ("manage_image_cache", &p.admin, &none, true),
        ("list_cached_nodes", &p.member, &none, false),
        ("stores_info_detail", &p.admin, &none, true),
        ("stores_info_detail", &p.service, &none, true),
        ("stores_info_detail", &p.member, &none, false),
        ("stores_info_detail", &p.system_admin, &none, false),
    ];
    for (name, who, t, expected) in cases {
        assert_eq!(
            allowed(&e, name, who, t),
            expected,
            "{name} for {who:?} on {t:?}"
        );
    }
}

#[test]
fn scope_is_checked_before_the_rule() {
    let e = Enforcer::glance_defaults();
    let p = people();
    let d = e.enforce("get_images", &p.system_admin, &Target::new());
    assert_eq!(
        d,
        Decision {
            allowed: false,
            reason: Reason::Scope {
                token: Scope::System,
                accepted: vec![Scope::Project],
            },
        }
    );
    let domain_admin = Credentials {
        domain_id: Some("d1".into()),
        roles: vec!["admin".into()],
        ..Credentials::default()
    };
    assert!(!allowed(&e, "get_images", &domain_admin, &Target::new()));
    // Rules without scope types take any token.
    assert!(allowed(
        &e,
        "context_is_admin",
        &p.system_admin,
        &Target::new()
    ));
    // With the (pre-oslo.policy 6) switch off, the role decides.
    let relaxed = Enforcer::glance_with_options(EnforcerOptions {
        enforce_scope: false,
        ..EnforcerOptions::default()
    });
    assert!(allowed(
        &relaxed,
        "get_images",
        &p.system_admin,
        &Target::new()
    ));
    // A rule registered as system-only refuses project tokens.
    let custom = Enforcer::new(
        vec![RuleDefault::new("system_thing", "role:admin").scoped(&[Scope::System])],
        EnforcerOptions::default(),
    )
    .unwrap();
    assert!(allowed(
        &custom,
        "system_thing",
        &p.system_admin,
        &Target::new()
    ));
    assert!(!allowed(&custom, "system_thing", &p.admin, &Target::new()));
}

#[test]
fn old_defaults_are_or_ed_in_when_new_defaults_are_not_enforced() {
    let old = Enforcer::glance_with_options(EnforcerOptions {
        enforce_new_defaults: false,
        ..EnforcerOptions::default()
    });
    let new = Enforcer::glance_defaults();
    let roleless = Credentials::project("p3", &[]);
    let p1_image = image_target("i", Some("p1"), "private", Some("p3"));
    // get_image was `rule:default`, and `default` is `""`: anyone.
    assert!(allowed(&old, "get_image", &roleless, &p1_image));
    assert!(!allowed(&new, "get_image", &roleless, &p1_image));
    assert!(allowed(&old, "modify_image", &roleless, &p1_image));
    // publicize_image has no deprecated rule: still admin only.
    assert!(!allowed(&old, "publicize_image", &roleless, &p1_image));
    // The metadef reads were `rule:metadef_default` (`""`).
    assert!(allowed(
        &old,
        "get_metadef_namespace",
        &roleless,
        &namespace_target(Some("p9"), "private")
    ));
    // A rule the policy file overrides is not or-ed with its old default.
    let mut overridden = Enforcer::glance_with_options(EnforcerOptions {
        enforce_new_defaults: false,
        ..EnforcerOptions::default()
    });
    overridden
        .load_policy_str("get_image: role:admin\n")
        .unwrap();
    assert!(!allowed(&overridden, "get_image", &roleless, &p1_image));
}

#[test]
fn a_yaml_policy_file_changes_decisions() {
    let p = people();
    let own = image("private", &p.member);
    let mut e = Enforcer::glance_defaults();
    assert!(!allowed(&e, "publicize_image", &p.member, &own));
    let warnings = e
        .load_policy_str(
            "# local policy\n\
             publicize_image: \"role:member and project_id:%(project_id)s\"\n\
             image_publisher: 'role:publisher'\n\
             broken: \"(role:x\"\n\
             get_images: rule:no_such_rule_anywhere and role:reader\n",
        )
        .unwrap();
    assert!(allowed(&e, "publicize_image", &p.member, &own));
    assert!(!allowed(&e, "publicize_image", &p.other, &own));
    // Overridden rules keep their scope types.
    assert!(!allowed(&e, "publicize_image", &p.system_admin, &own));
    // A dangling reference evaluates `default` (""), so only role:reader counts.
    assert!(allowed(
        &e,
        "get_images",
        &p.reader,
        &project_target(&p.reader)
    ));
    assert!(!allowed(
        &e,
        "get_images",
        &p.service,
        &project_target(&p.service)
    ));
    // The unparseable rule refuses.
    assert!(!allowed(&e, "broken", &p.admin, &Target::new()));

    assert!(warnings.contains(&PolicyWarning::Unregistered {
        name: "image_publisher".into()
    }));
    assert!(warnings.iter().any(|w| matches!(
        w,
        PolicyWarning::Unparseable { name, line: Some(4), .. } if name == "broken"
    )));
    assert!(warnings.contains(&PolicyWarning::UndefinedReference {
        name: "get_images".into(),
        reference: "no_such_rule_anywhere".into()
    }));
    for w in &warnings {
        assert!(!w.to_string().is_empty());
    }

    // Loading another file replaces the first one's rules.
    e.load_policy_str("context_is_admin: role:admin\n").unwrap();
    assert!(!allowed(&e, "publicize_image", &p.member, &own));
}

#[test]
fn a_json_policy_file_changes_decisions() {
    let p = people();
    let mut e = Enforcer::glance_defaults();
    assert!(allowed(
        &e,
        "get_images",
        &p.reader,
        &project_target(&p.reader)
    ));
    let warnings = e
        .load_policy_str(
            r#"{"get_images": "!", "context_is_admin": "role:admin or role:superuser"}"#,
        )
        .unwrap();
    assert!(!allowed(
        &e,
        "get_images",
        &p.reader,
        &project_target(&p.reader)
    ));
    assert!(!allowed(
        &e,
        "get_images",
        &p.admin,
        &project_target(&p.admin)
    ));
    let superuser = Credentials::project("p5", &["superuser"]);
    assert!(allowed(
        &e,
        "publicize_image",
        &superuser,
        &image("private", &superuser)
    ));
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn policy_file_errors_and_redundancy() {
    let mut e = Enforcer::glance_defaults();
    let err = e
        .load_policy_str("a: b\nnested:\n  key: value\n")
        .unwrap_err();
    assert!(err.to_string().contains("line 3"), "{err}");
    let warnings = e
        .load_policy_str(
            "context_is_admin: role:admin\nmodify_task: ''\ncontext_is_admin: role:root\n",
        )
        .unwrap();
    assert!(warnings.contains(&PolicyWarning::Redundant {
        name: "context_is_admin".into()
    }));
    assert!(warnings.contains(&PolicyWarning::DeprecatedForRemoval {
        name: "modify_task".into()
    }));
    assert!(warnings.contains(&PolicyWarning::Duplicate {
        name: "context_is_admin".into(),
        line: Some(3)
    }));
    assert_eq!(e.rule("context_is_admin").unwrap().as_str(), "role:root");
    let cyclic = e
        .load_policy_str("a: rule:b\nb: rule:a or role:x\n")
        .unwrap();
    assert!(cyclic.contains(&PolicyWarning::CyclicReference { name: "a".into() }));
    assert!(cyclic.contains(&PolicyWarning::CyclicReference { name: "b".into() }));
    assert_eq!(
        cyclic
            .iter()
            .filter(|w| matches!(w, PolicyWarning::CyclicReference { .. }))
            .count(),
        2
    );
    let root = Credentials::project("p", &["x"]);
    assert!(allowed(&e, "a", &root, &Target::new()));
    assert!(!allowed(
        &e,
        "a",
        &Credentials::project("p", &[]),
        &Target::new()
    ));
}

#[test]
fn unknown_names_fall_back_to_the_default_rule() {
    let mut e = Enforcer::glance_defaults();
    let member = Credentials::project("p1", &["member"]);
    let d = e.enforce("no_such_rule", &member, &Target::new());
    assert_eq!(d.reason, Reason::DefaultRule("default".into()));
    assert!(d.allowed);
    assert!(!e.is_registered("no_such_rule"));
    e.load_policy_str("default: role:admin\n").unwrap();
    assert!(!allowed(&e, "no_such_rule", &member, &Target::new()));
    let bare = Enforcer::new(vec![], EnforcerOptions::default()).unwrap();
    assert_eq!(
        bare.enforce("x", &member, &Target::new()).reason,
        Reason::NoRule
    );
}

#[test]
fn ad_hoc_checks_and_added_rules() {
    let mut e = Enforcer::glance_defaults();
    let admin = Credentials::project("p1", &["admin"]);
    let member = Credentials::project("p1", &["member"]);
    let t = target([("visibility", "public")]);
    assert!(e.check_str("rule:context_is_admin", &admin, &t).unwrap());
    assert!(!e.check_str("rule:context_is_admin", &member, &t).unwrap());
    assert!(e
        .check_str("'public':%(visibility)s and role:member", &member, &t)
        .unwrap());
    assert!(e.check_str("rule:context_is_admin or", &admin, &t).is_err());
    // System-scoped tokens are not scope-checked in ad-hoc checks.
    assert!(e
        .check_str(
            "rule:context_is_admin",
            &Credentials::system(&["admin"]),
            &t
        )
        .unwrap());

    e.add_rules([("glance_creator", "role:admin or role:creator")])
        .unwrap();
    let creator = Credentials::project("p1", &["creator"]);
    assert!(e.check_str("rule:glance_creator", &creator, &t).unwrap());
    // The policy file wins over added rules.
    e.load_policy_str("glance_creator: role:admin\n").unwrap();
    assert!(!e.check_str("rule:glance_creator", &creator, &t).unwrap());
    let err = e.add_rules([("bad", "role:a or")]).unwrap_err();
    assert!(matches!(err, PolicyError::InvalidRule { ref name, .. } if name == "bad"));
}

#[test]
fn reading_a_policy_file_from_disk() {
    let dir = std::env::temp_dir().join(format!("glint-policy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.yaml");
    std::fs::write(&path, "get_images: '!'\n").unwrap();
    let mut e = Enforcer::glance_defaults();
    e.load_policy_file(&path).unwrap();
    let reader = Credentials::project("p1", &["reader"]);
    assert!(!allowed(
        &e,
        "get_images",
        &reader,
        &project_target(&reader)
    ));
    std::fs::write(&path, "get_images: [x\n").unwrap();
    let err = e.load_policy_file(&path).unwrap_err();
    assert!(err.to_string().contains("policy.yaml"), "{err}");
    let missing = e.load_policy_file(&dir.join("nope.yaml")).unwrap_err();
    assert!(matches!(missing, PolicyError::Read { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn large_policy_files_are_checked_without_recursion() {
    // A long chain with diamonds, plus one self-reference at the end.
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!("r{i}: rule:r{n} or rule:r{n}\n", n = i + 1));
    }
    text.push_str("r5000: rule:r5000 or role:x\n");
    let mut e = Enforcer::glance_defaults();
    let warnings = e.load_policy_str(&text).unwrap();
    let cyclic: Vec<_> = warnings
        .iter()
        .filter_map(|w| match w {
            PolicyWarning::CyclicReference { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(cyclic, ["r5000"]);
    assert!(allowed(
        &e,
        "r4990",
        &Credentials::project("p", &["x"]),
        &Target::new()
    ));
}
