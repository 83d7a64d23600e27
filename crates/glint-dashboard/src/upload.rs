//! `POST /api/glance/images/`: creates an image from a multipart form and
//! streams its `data` part into the store as it arrives — never held whole
//! in memory or on disk. The metadata fields must come before `data`.

use std::io;

use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use glint_api::auth::Caller;
use glint_api::AppState;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::error::{DashError, DashResult};
use crate::image_fields::image_attributes;
use crate::images::created;

/// Chunks in flight between the request body and the store.
const CHUNKS_IN_FLIGHT: usize = 4;

fn bad_form(e: MultipartError) -> DashError {
    DashError::bad_request(format!("malformed multipart form: {}", e.body_text()))
}

/// `POST /api/glance/images/` — multipart/form-data with the fields of a
/// create (`name`, `disk_format`, `visibility`, `protected`, …, or all of
/// them as JSON in `$$originalJSON`) followed by the file in `data`.
///
/// 201 with `Location` and the image, active, once its data is stored.
/// 400 without a `data` part or with a malformed form; 413 over the size
/// cap or quota (the image is then removed again).
pub async fn upload(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    mut form_data: Multipart,
) -> DashResult<Response> {
    let mut form = Map::new();
    while let Some(field) = form_data.next_field().await.map_err(bad_form)? {
        let name = field.name().unwrap_or_default().to_string();
        if name != "data" {
            let text = field.text().await.map_err(bad_form)?;
            if name == "$$originalJSON" {
                match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(fields)) => form.extend(fields),
                    _ => {
                        return Err(DashError::bad_request(
                            "$$originalJSON must be a JSON object",
                        ))
                    }
                }
            } else {
                form.insert(name, Value::String(text));
            }
            continue;
        }
        let attrs = image_attributes(&form)?;
        let images = &state.services.images;
        let image = images.create(&ctx, &attrs).await?;
        let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let stream = glint_store::channel_stream(rx);
        let (stored, ()) = tokio::join!(
            images.upload(&ctx, &image.id, stream, None, None),
            pump(field, tx)
        );
        return match stored {
            Ok(image) => Ok(created(&image, &state)),
            Err(e) => {
                // A failed upload leaves no half-made image behind.
                if let Err(cleanup) = images.delete(&ctx, &image.id).await {
                    tracing::warn!(image_id = %image.id, error = %cleanup, "could not remove the image of a failed upload");
                }
                Err(e.into())
            }
        };
    }
    Err(DashError::missing(&["data"]))
}

/// Feeds the file's chunks to the store until either ends.
async fn pump(mut field: Field<'_>, tx: mpsc::Sender<io::Result<Bytes>>) {
    loop {
        let item = match field.chunk().await {
            Ok(Some(chunk)) => Ok(chunk),
            Ok(None) => return,
            Err(e) => Err(io::Error::other(e.body_text())),
        };
        let failed = item.is_err();
        if tx.send(item).await.is_err() || failed {
            return;
        }
    }
}
