//! Who may see and change an image, and which attributes are the service's
//! own. One place for each rule; the services apply them.

use crate::context::RequestContext;
use crate::image::{Image, Visibility};

/// Attributes the service manages; clients may never set them (→ 403).
pub const READ_ONLY_ATTRIBUTES: &[&str] = &[
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "id",
    "size",
    "virtual_size",
    "status",
    "updated_at",
    "direct_url",
    "self",
    "file",
    "schema",
    "stores",
];

/// Names reserved by the service; never settable as properties (→ 403).
pub const RESERVED_ATTRIBUTES: &[&str] = &["deleted", "deleted_at", "location"];

/// Prefix of properties only the service itself sets (import progress…).
pub const RESERVED_PROPERTY_PREFIX: &str = "os_glance";

/// Base attributes a client may set; all others are extra properties.
pub const WRITABLE_BASE_ATTRIBUTES: &[&str] = &[
    "name",
    "visibility",
    "protected",
    "os_hidden",
    "owner",
    "min_ram",
    "min_disk",
    "disk_format",
    "container_format",
    "tags",
];

pub fn is_read_only(name: &str) -> bool {
    READ_ONLY_ATTRIBUTES.contains(&name)
}

pub fn is_reserved(name: &str) -> bool {
    RESERVED_ATTRIBUTES.contains(&name) || name.starts_with(RESERVED_PROPERTY_PREFIX)
}

pub fn is_base_attribute(name: &str) -> bool {
    WRITABLE_BASE_ATTRIBUTES.contains(&name) || is_read_only(name) || name == "locations"
}

/// Whether the caller may see the image at all. Invisible images are
/// reported as not found, never as forbidden.
///
/// `is_member` answers whether the caller's project is a member of the
/// (shared) image, in any member status.
pub fn is_visible(ctx: &RequestContext, image: &Image, is_member: impl FnOnce() -> bool) -> bool {
    if ctx.is_admin || image.owner.is_none() {
        return true;
    }
    if matches!(image.visibility, Visibility::Public | Visibility::Community) {
        return true;
    }
    match &ctx.project_id {
        Some(project) if image.owner.as_deref() == Some(project.as_str()) => true,
        Some(_) if image.visibility == Visibility::Shared => is_member(),
        _ => false,
    }
}

/// Whether the caller may change the image's record: its owner or an admin.
pub fn is_mutable(ctx: &RequestContext, image: &Image) -> bool {
    if ctx.is_admin {
        return true;
    }
    match (&ctx.project_id, &image.owner) {
        (Some(project), Some(owner)) => project == owner,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{Image, NewImage};

    fn image(owner: &str, visibility: Visibility) -> Image {
        Image::from_new(
            "id".into(),
            NewImage {
                owner: Some(owner.into()),
                visibility: Some(visibility),
                ..NewImage::default()
            },
            crate::time::now(),
        )
    }

    #[test]
    fn private_images_are_seen_by_owner_and_admin_only() {
        let img = image("p1", Visibility::Private);
        assert!(is_visible(&RequestContext::member_of("p1"), &img, || false));
        assert!(!is_visible(&RequestContext::member_of("p2"), &img, || true));
        assert!(is_visible(&RequestContext::admin("r"), &img, || false));
    }

    #[test]
    fn shared_images_are_seen_by_members() {
        let img = image("p1", Visibility::Shared);
        assert!(is_visible(&RequestContext::member_of("p2"), &img, || true));
        assert!(!is_visible(&RequestContext::member_of("p2"), &img, || {
            false
        }));
    }

    #[test]
    fn public_and_community_images_are_seen_by_all() {
        for v in [Visibility::Public, Visibility::Community] {
            assert!(is_visible(
                &RequestContext::member_of("p9"),
                &image("p1", v),
                || false
            ));
        }
    }

    #[test]
    fn only_owner_or_admin_may_change() {
        let img = image("p1", Visibility::Public);
        assert!(is_mutable(&RequestContext::member_of("p1"), &img));
        assert!(!is_mutable(&RequestContext::member_of("p2"), &img));
        assert!(is_mutable(&RequestContext::admin("r"), &img));
    }

    #[test]
    fn reserved_names() {
        assert!(is_reserved("os_glance_import_task"));
        assert!(is_reserved("location"));
        assert!(!is_reserved("os_distro"));
        assert!(is_read_only("status"));
    }
}
