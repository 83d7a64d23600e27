//! Where an image's bytes are: the 2.17 locations API (`GET|POST
//! /v2/images/{id}/locations`), removing a copy from one store (`DELETE
//! /v2/stores/{store}/{id}`) and the stores' details.

use glint_domain::{Error, Image, ImageLocation, ImageStatus, ImageUpdate, LocationStatus};
use glint_domain::{RequestContext, Result};
use glint_store::{is_http_location, StoreInfo};
use serde_json::{Map, Value};

use crate::images::ImageService;
use crate::policy::{Action, Target};

/// Hashes a caller vouches for when adding a location.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationData {
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    pub checksum: Option<String>,
}

impl ValidationData {
    pub fn parse(v: Option<&Value>) -> Result<Self> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(ValidationData::default());
        };
        let map = v
            .as_object()
            .ok_or_else(|| Error::invalid("validation_data must be an object"))?;
        let text = |key: &str| -> Result<Option<String>> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(Error::invalid(format!(
                    "validation_data {key} must be a string"
                ))),
            }
        };
        let data = ValidationData {
            os_hash_algo: text("os_hash_algo")?,
            os_hash_value: text("os_hash_value")?,
            checksum: text("checksum")?,
        };
        if data.os_hash_algo.is_some() != data.os_hash_value.is_some() {
            return Err(Error::invalid(
                "validation_data needs both os_hash_algo and os_hash_value",
            ));
        }
        for value in [&data.os_hash_value, &data.checksum].into_iter().flatten() {
            if !value.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::invalid(format!(
                    "validation_data value {value} is not a hexadecimal digest"
                )));
            }
        }
        Ok(data)
    }
}

impl ImageService {
    /// `GET /v2/images/{id}/locations`: the image's copies (services only).
    pub async fn locations(&self, ctx: &RequestContext, id: &str) -> Result<Vec<ImageLocation>> {
        let image = self.load_visible(ctx, id).await?;
        self.policy
            .authorize(ctx, Action::FetchImageLocation, &Target::image(ctx, &image))?;
        Ok(image
            .locations
            .into_iter()
            .filter(|l| l.status == LocationStatus::Active)
            .collect())
    }

    /// `POST /v2/images/{id}/locations`: gives a queued image its data at
    /// `url` (an `http(s)://` URL the server can read); the image becomes
    /// active. Errors: not queued → Conflict; a URL the server cannot or
    /// must not read (`file://` among them) → InvalidInput.
    pub async fn add_location(
        &self,
        ctx: &RequestContext,
        id: &str,
        url: &str,
        validation: &ValidationData,
    ) -> Result<Image> {
        let image = self.load_mutable(ctx, id, Action::AddImageLocation).await?;
        if !is_http_location(url) {
            return Err(Error::invalid(format!(
                "Invalid location {url}: only http:// and https:// locations may be added"
            )));
        }
        if image.status != ImageStatus::Queued {
            return Err(Error::conflict(format!(
                "The location of an image can only be added while it is queued, not {}",
                image.status
            )));
        }
        if let Some(algo) = &validation.os_hash_algo {
            if algo != &self.config.hashing_algorithm {
                return Err(Error::invalid(format!(
                    "os_hash_algo must be {}, not {algo}",
                    self.config.hashing_algorithm
                )));
            }
        }
        let size = self.stores.http_store().size(url).await.map_err(|e| {
            Error::invalid(format!("Cannot read the data at {url}: {}", e.message()))
        })?;
        let mut active = image.clone();
        active.status = ImageStatus::Active;
        active.size = Some(size as i64);
        if active.disk_format.as_deref() == Some("raw") {
            active.virtual_size = active.size;
        }
        active.checksum = validation.checksum.clone();
        active.os_hash_algo = validation.os_hash_algo.clone();
        active.os_hash_value = validation.os_hash_value.clone();
        let mut update = ImageUpdate::base(active);
        update.from_state = Some(ImageStatus::Queued);
        let mut metadata = Map::new();
        if self.stores.is_multi() {
            metadata.insert("store".into(), "http".into());
        }
        update.add_locations.push(ImageLocation {
            url: url.to_string(),
            metadata,
            status: LocationStatus::Active,
        });
        self.repo.image_update(&update).await.map_err(|e| match e {
            Error::Conflict(_) => Error::conflict(format!("Image {id} changed; try again")),
            other => other,
        })
    }

    /// `DELETE /v2/stores/{store}/{id}`: removes the image's copy in one
    /// store; the image keeps its other copies.
    pub async fn delete_from_store(
        &self,
        ctx: &RequestContext,
        store_id: &str,
        id: &str,
    ) -> Result<()> {
        let image = self
            .load_mutable(ctx, id, Action::DeleteImageLocation)
            .await?;
        if !self.stores.is_multi() {
            return Err(Error::not_found(
                "Multi backend is not supported at this site.",
            ));
        }
        let store = self
            .stores
            .all()
            .iter()
            .find(|s| s.id == store_id)
            .ok_or_else(|| Error::not_found(format!("Unknown store {store_id}")))?;
        if image.status != ImageStatus::Active {
            return Err(Error::conflict(format!(
                "It's not allowed to remove image data from store if image status is not 'active' ({})",
                image.status
            )));
        }
        let active: Vec<&ImageLocation> = image
            .locations
            .iter()
            .filter(|l| l.status == LocationStatus::Active)
            .collect();
        let Some(location) = active.iter().find(|l| l.store() == Some(store_id)) else {
            return Err(Error::not_found(format!(
                "Image {id} is not present in store {store_id}"
            )));
        };
        if active.len() == 1 {
            return Err(Error::conflict(format!(
                "Image {id} has its only copy in store {store_id}; delete the image instead"
            )));
        }
        self.repo
            .image_location_set_status(id, &location.url, LocationStatus::PendingDelete)
            .await?;
        self.remove_bytes(store, id, location).await;
        Ok(())
    }

    async fn remove_bytes(&self, store: &StoreInfo, id: &str, location: &ImageLocation) {
        match store.store.delete(&location.url).await {
            Ok(()) => {
                if let Err(e) = self
                    .repo
                    .image_location_set_status(id, &location.url, LocationStatus::Deleted)
                    .await
                {
                    tracing::warn!(image_id = id, error = %e, "bytes deleted but location not marked");
                }
            }
            Err(e) => {
                tracing::warn!(image_id = id, error = %e, "bytes not deleted; the scrubber will retry")
            }
        }
    }

    /// `GET /v2/info/stores/detail`: every store with its type (admins and
    /// services).
    pub fn stores_detail(&self, ctx: &RequestContext) -> Result<Vec<&StoreInfo>> {
        self.policy.authorize(
            ctx,
            Action::StoresInfoDetail,
            &Target::owner(ctx.project_id.as_deref()),
        )?;
        if !self.stores.is_multi() {
            return Err(Error::not_found(
                "Multi backend is not supported at this site.",
            ));
        }
        Ok(self.stores.all().iter().collect())
    }
}
