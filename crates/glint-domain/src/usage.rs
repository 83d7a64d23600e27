//! What one project's images use: the figures quotas are checked against.

/// Usage by the live (not deleted) images of one owner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OwnerUsage {
    /// Sum of image sizes.
    pub stored_bytes: u64,
    /// Sum of sizes of images whose data sits in staging (`uploading`,
    /// `importing`).
    pub staged_bytes: u64,
    pub image_count: u64,
    /// Images being uploaded, staged or imported.
    pub uploading_count: u64,
}
