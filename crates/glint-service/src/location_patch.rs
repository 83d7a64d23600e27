//! `PATCH /v2/images/{id}` on `/locations` (the API before 2.17, with
//! `show_multiple_locations = true`): add a copy at an `http(s)://` URL,
//! remove one (never the last), or replace the list.

use glint_domain::{
    Error, Image, ImageLocation, ImageStatus, LocationStatus, RequestContext, Result,
};
use glint_store::is_http_location;
use serde_json::{Map, Value};

use crate::image_patch::{OpKind, PatchOp};
use crate::images::ImageService;
use crate::policy::{Action, Target};

/// What a patch does to an image's locations.
#[derive(Debug, Default)]
pub(crate) struct LocationChanges {
    pub add: Vec<ImageLocation>,
    pub remove: Vec<ImageLocation>,
    /// The size of the data, when a queued image gets its first location.
    pub activate_with_size: Option<i64>,
}

fn new_location(value: &Value) -> Result<ImageLocation> {
    let obj = value
        .as_object()
        .ok_or_else(|| Error::invalid("A location must be an object with 'url' and 'metadata'"))?;
    let url = obj
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid("A location needs a 'url'"))?;
    if !is_http_location(url) {
        return Err(Error::invalid(format!(
            "Invalid location {url}: only http:// and https:// locations may be added"
        )));
    }
    let metadata = match obj.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(Error::invalid("Location metadata must be an object")),
    };
    Ok(ImageLocation {
        url: url.to_string(),
        metadata,
        status: LocationStatus::Active,
    })
}

impl ImageService {
    pub(crate) async fn location_changes(
        &self,
        ctx: &RequestContext,
        image: &Image,
        ops: &[PatchOp],
    ) -> Result<LocationChanges> {
        if !self.config.show_multiple_locations {
            return Err(Error::forbidden(
                "It's not allowed to add locations if locations are invisible.",
            ));
        }
        let target = Target::image(ctx, image);
        let mut current: Vec<ImageLocation> = image
            .locations
            .iter()
            .filter(|l| l.status == LocationStatus::Active)
            .cloned()
            .collect();
        let mut changes = LocationChanges::default();
        for op in ops {
            let index = op.path.get(1).map(String::as_str);
            match op.kind {
                OpKind::Add => {
                    self.policy
                        .authorize(ctx, Action::SetImageLocation, &target)?;
                    let location = new_location(op.value.as_ref().unwrap_or(&Value::Null))?;
                    if current.iter().any(|l| l.url == location.url) {
                        return Err(Error::invalid(format!(
                            "Location {} is already present",
                            location.url
                        )));
                    }
                    let at = match index {
                        None | Some("-") => current.len(),
                        Some(n) => n
                            .parse::<usize>()
                            .ok()
                            .filter(|n| *n <= current.len())
                            .ok_or_else(|| Error::invalid(format!("Invalid position {n}")))?,
                    };
                    current.insert(at, location.clone());
                    changes.add.push(location);
                }
                OpKind::Remove => {
                    self.policy
                        .authorize(ctx, Action::DeleteImageLocation, &target)?;
                    let n = index
                        .and_then(|n| n.parse::<usize>().ok())
                        .filter(|n| *n < current.len())
                        .ok_or_else(|| Error::invalid("Invalid location index"))?;
                    if current.len() == 1 {
                        return Err(Error::forbidden(
                            "Cannot remove last location in the image.",
                        ));
                    }
                    changes.remove.push(current.remove(n));
                }
                OpKind::Replace => {
                    if index.is_some() {
                        return Err(Error::invalid(
                            "Invalid JSON pointer for this resource: locations",
                        ));
                    }
                    let list = op
                        .value
                        .as_ref()
                        .and_then(Value::as_array)
                        .ok_or_else(|| Error::invalid("Locations must be a list"))?;
                    let wanted = list.iter().map(new_location).collect::<Result<Vec<_>>>()?;
                    if wanted.is_empty() && !current.is_empty() {
                        return Err(Error::forbidden("Cannot set locations to empty list."));
                    }
                    self.policy
                        .authorize(ctx, Action::SetImageLocation, &target)?;
                    for old in current
                        .iter()
                        .filter(|o| !wanted.iter().any(|w| w.url == o.url))
                    {
                        self.policy
                            .authorize(ctx, Action::DeleteImageLocation, &target)?;
                        changes.remove.push(old.clone());
                    }
                    for new in wanted
                        .iter()
                        .filter(|w| !current.iter().any(|o| o.url == w.url))
                    {
                        changes.add.push(new.clone());
                    }
                    current = wanted;
                }
            }
        }
        if image.status == ImageStatus::Queued {
            if let Some(first) = changes.add.first() {
                changes.activate_with_size =
                    Some(self.stores.http_store().size(&first.url).await? as i64);
            }
        } else if !changes.add.is_empty()
            && !matches!(image.status, ImageStatus::Active | ImageStatus::Deactivated)
        {
            return Err(Error::conflict(format!(
                "Locations can not be added to an image in status {}",
                image.status
            )));
        }
        Ok(changes)
    }

    /// Forgets the removed copies (their bytes are deleted where they are
    /// the image service's own).
    pub(crate) async fn drop_locations(&self, image_id: &str, removed: &[ImageLocation]) {
        for location in removed {
            let store = self.stores.for_location(location);
            if let Err(e) = store.store.delete(&location.url).await {
                tracing::warn!(image_id, location = %location.url, error = %e, "removed location's bytes not deleted");
            }
            if let Err(e) = self
                .repo
                .image_location_set_status(image_id, &location.url, LocationStatus::Deleted)
                .await
            {
                tracing::warn!(image_id, error = %e, "location not marked deleted");
            }
        }
    }
}
