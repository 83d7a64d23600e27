//! Which Glance databases Glint can take over, and how it tells Glance that
//! a database Glint made is up to date.
//!
//! Glance records its schema in `alembic_version` (one row, the revision
//! `glance-manage db sync` reached). Glint's migration 1 is Glance's schema
//! at [`GLANCE_HEAD_REVISION`] and writes that row, so Glance reads a Glint
//! database as its own; a database Glance made at a revision in
//! [`ADOPTABLE_REVISIONS`] is adopted: migration 1 is recorded as applied
//! and only Glint's later migrations (its indexes) run on top.

use glint_domain::{Error, Result};

/// The newest Glance schema revision (Glance 2024.1 up to 33.x), which
/// Glint's migration 1 creates and records in `alembic_version`.
pub const GLANCE_HEAD_REVISION: &str = "2024_1_contract01";

/// Glance revisions whose image, member, tag, property, location, task and
/// metadef tables are the ones Glint reads and writes: every revision since
/// the tasks table got `image_id`, `request_id` and `user_id` (Wallaby).
/// Later revisions only added the image-cache tables, which Glint does not
/// use.
pub const ADOPTABLE_REVISIONS: &[&str] = &[
    "wallaby_expand01",
    "wallaby_contract01",
    "xena_expand01",
    "xena_contract01",
    "yoga_expand01",
    "yoga_contract01",
    "zed_expand01",
    "zed_contract01",
    "2023_1_expand01",
    "2023_1_contract01",
    "2024_1_expand01",
    "2024_1_contract01",
];

/// Whether Glint can serve a Glance database at these `alembic_version`
/// revisions (the table's rows); an error that tells the operator what to
/// do when it cannot.
pub fn check_adoptable(revisions: &[String]) -> Result<()> {
    if !revisions.is_empty()
        && revisions
            .iter()
            .all(|r| ADOPTABLE_REVISIONS.contains(&r.as_str()))
    {
        return Ok(());
    }
    Err(Error::internal(format!(
        "this database was made by Glance at schema revision {}, which Glint \
         cannot serve; upgrade it with `glance-manage db sync` (Glance Wallaby \
         or later) first",
        if revisions.is_empty() {
            "(none: alembic_version is empty)".to_string()
        } else {
            revisions.join(", ")
        }
    )))
}

/// `metadef_objects.required` as Glance writes it: the property names
/// joined by commas, NULL for none.
pub fn required_to_column(required: &[String]) -> Option<String> {
    (!required.is_empty()).then(|| required.join(","))
}

/// `metadef_objects.required` as Glance writes it, or as a JSON array (what
/// Glint wrote before it wrote Glance's form).
pub fn required_from_column(column: Option<&str>) -> Vec<String> {
    match column.map(str::trim) {
        None | Some("") => Vec::new(),
        Some(text) if text.starts_with('[') => serde_json::from_str(text).unwrap_or_default(),
        Some(text) => text.split(',').map(str::to_string).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_records_the_head_revision_in_migration_1() {
        let row = format!("'{GLANCE_HEAD_REVISION}'");
        for (engine, sql) in [
            (
                "sqlite",
                include_str!("../migrations/sqlite/0001_glance_schema.sql"),
            ),
            (
                "mysql",
                include_str!("../migrations/mysql/0001_glance_schema.sql"),
            ),
            (
                "postgres",
                include_str!("../migrations/postgres/0001_glance_schema.sql"),
            ),
        ] {
            assert!(sql.contains("CREATE TABLE alembic_version"), "{engine}");
            assert!(sql.contains(&row), "{engine}");
        }
    }

    #[test]
    fn required_properties_are_comma_joined_as_glance_writes_them() {
        let both = vec!["a".to_string(), "b".to_string()];
        assert_eq!(required_to_column(&both).as_deref(), Some("a,b"));
        assert_eq!(required_to_column(&[]), None);
        assert_eq!(required_from_column(Some("a,b")), both);
        assert_eq!(required_from_column(Some(r#"["a","b"]"#)), both);
        assert!(required_from_column(None).is_empty());
        assert!(required_from_column(Some("[]")).is_empty());
    }

    #[test]
    fn adopts_wallaby_and_later_only() {
        assert!(check_adoptable(&["2024_1_contract01".into()]).is_ok());
        assert!(check_adoptable(&["wallaby_contract01".into()]).is_ok());
        assert!(check_adoptable(&["ocata_contract01".into()]).is_err());
        assert!(check_adoptable(&[]).is_err());
    }
}
