//! `/v2/schemas/image` and `/v2/schemas/images`: the JSON schemas clients
//! build their commands from (python-glanceclient reads them to learn the
//! attributes and formats). Same content as Glance serves, with the
//! configured disk and container formats in the enums.

use axum::extract::State;
use axum::Json;
use glint_config::Config;
use serde_json::{json, Value};

use crate::state::AppState;

const UUID_PATTERN: &str =
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";

fn nullable_enum(values: &[String]) -> Value {
    let mut items = vec![Value::Null];
    items.extend(values.iter().cloned().map(Value::String));
    Value::Array(items)
}

pub fn image_schema(config: &Config) -> Value {
    json!({
        "name": "image",
        "properties": {
            "id": {"type": "string", "description": "An identifier for the image", "pattern": UUID_PATTERN},
            "name": {"type": ["null", "string"], "description": "Descriptive name for the image", "maxLength": 255},
            "status": {
                "type": "string", "readOnly": true, "description": "Status of the image",
                "enum": ["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"]
            },
            "visibility": {"type": "string", "description": "Scope of image accessibility", "enum": ["community", "public", "private", "shared"]},
            "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
            "os_hidden": {"type": "boolean", "description": "If true, image will not appear in default image list response."},
            "checksum": {"type": ["null", "string"], "readOnly": true, "description": "md5 hash of image contents.", "maxLength": 32},
            "os_hash_algo": {"type": ["null", "string"], "readOnly": true, "description": "Algorithm to calculate the os_hash_value", "maxLength": 64},
            "os_hash_value": {"type": ["null", "string"], "readOnly": true, "description": "Hexdigest of the image contents using the algorithm specified by the os_hash_algo", "maxLength": 128},
            "owner": {"type": ["null", "string"], "description": "Owner of the image", "maxLength": 255},
            "size": {"type": ["null", "integer"], "readOnly": true, "description": "Size of image file in bytes"},
            "virtual_size": {"type": ["null", "integer"], "readOnly": true, "description": "Virtual size of image in bytes"},
            "container_format": {"type": ["null", "string"], "description": "Format of the container", "enum": nullable_enum(&config.container_formats)},
            "disk_format": {"type": ["null", "string"], "description": "Format of the disk", "enum": nullable_enum(&config.disk_formats)},
            "created_at": {"type": "string", "readOnly": true, "description": "Date and time of image registration"},
            "updated_at": {"type": "string", "readOnly": true, "description": "Date and time of the last image modification"},
            "tags": {"type": "array", "description": "List of strings related to the image", "items": {"type": "string", "maxLength": 255}},
            "direct_url": {"type": "string", "readOnly": true, "description": "URL to access the image file kept in external store"},
            "min_ram": {"type": "integer", "description": "Amount of ram (in MB) required to boot image."},
            "min_disk": {"type": "integer", "description": "Amount of disk space (in GB) required to boot image."},
            "self": {"type": "string", "readOnly": true, "description": "An image self url"},
            "file": {"type": "string", "readOnly": true, "description": "An image file url"},
            "stores": {
                "type": "string", "readOnly": true,
                "description": "Store in which image data resides.  Only present when the operator has enabled multiple stores.  May be a comma-separated list of store identifiers."
            },
            "schema": {"type": "string", "readOnly": true, "description": "An image schema url"},
            "locations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "url": {"type": "string", "maxLength": 255},
                        "metadata": {"type": "object"},
                        "validation_data": {
                            "description": "Values to be used to populate the corresponding image properties. If the image status is not 'queued', values must exactly match those already contained in the image properties.",
                            "type": "object",
                            "writeOnly": true,
                            "additionalProperties": false,
                            "properties": {
                                "checksum": {"type": "string", "minLength": 32, "maxLength": 32},
                                "os_hash_algo": {"type": "string", "maxLength": 64},
                                "os_hash_value": {"type": "string", "maxLength": 128}
                            },
                            "required": ["os_hash_algo", "os_hash_value"]
                        }
                    },
                    "required": ["url", "metadata"]
                },
                "description": "A set of URLs to access the image file kept in external store"
            }
        },
        "additionalProperties": {"type": "string"},
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"}
        ]
    })
}

pub fn images_schema(config: &Config) -> Value {
    json!({
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image_schema(config)},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"}
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"}
        ]
    })
}

/// `GET /v2/schemas/image`.
pub async fn image(State(state): State<AppState>) -> Json<Value> {
    Json(image_schema(&state.config))
}

/// `GET /v2/schemas/images`.
pub async fn images(State(state): State<AppState>) -> Json<Value> {
    Json(images_schema(&state.config))
}

/// The member schema, as Glance serves it (its minimal form).
pub fn member_schema() -> Value {
    json!({
        "name": "member",
        "properties": {
            "member_id": {"type": "string", "description": "An identifier for the image member (tenantId)"},
            "image_id": {
                "type": "string",
                "description": "An identifier for the image",
                "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
            },
            "created_at": {"type": "string", "description": "Date and time of image member creation"},
            "updated_at": {"type": "string", "description": "Date and time of last modification of image member"},
            "status": {
                "type": "string",
                "description": "The status of this image member",
                "enum": ["pending", "accepted", "rejected"]
            },
            "schema": {"readOnly": true, "type": "string"}
        }
    })
}

/// `GET /v2/schemas/member`.
pub async fn member() -> Json<Value> {
    Json(member_schema())
}

/// `GET /v2/schemas/members`.
pub async fn members() -> Json<Value> {
    Json(json!({
        "name": "members",
        "properties": {
            "members": {"type": "array", "items": member_schema()},
            "schema": {"type": "string"}
        },
        "links": [{"rel": "describedby", "href": "{schema}"}]
    }))
}

/// The metadef schemas as Glance 33 serves them (taken from its schema
/// controller), by the last part of their path.
fn metadef_schemas() -> &'static serde_json::Map<String, Value> {
    static SCHEMAS: std::sync::OnceLock<serde_json::Map<String, Value>> =
        std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| {
        serde_json::from_str(include_str!("metadef_schemas.json"))
            .expect("metadef_schemas.json is a JSON object")
    })
}

/// `GET /v2/schemas/metadefs/{name}` (namespace(s), resource_type(s),
/// property/properties, object(s), tag(s)).
pub async fn metadef(
    axum::extract::Path(name): axum::extract::Path<String>,
) -> crate::error::ApiResult<Json<Value>> {
    metadef_schemas()
        .get(&name)
        .cloned()
        .map(Json)
        .ok_or_else(|| glint_domain::Error::not_found("The resource could not be found.").into())
}

/// The schema of one task (Glance's task schema).
pub fn task_schema() -> Value {
    json!({
        "name": "task",
        "properties": {
            "id": {"type": "string", "description": "An identifier for the task", "pattern": UUID_PATTERN},
            "type": {"type": "string", "description": "The type of task represented by this content", "enum": ["import", "api_image_import", "location_import"]},
            "status": {"type": "string", "description": "The current status of this task", "enum": ["pending", "processing", "success", "failure"]},
            "input": {"type": ["null", "object"], "description": "The parameters required by task, JSON blob"},
            "result": {"type": ["null", "object"], "description": "The result of current task, JSON blob"},
            "owner": {"type": "string", "description": "An identifier for the owner of this task"},
            "message": {"type": "string", "description": "Human-readable informative message only included when appropriate (usually on failure)"},
            "image_id": {"type": "string", "description": "Image associated with the task"},
            "request_id": {"type": "string", "description": "Human-readable informative request-id"},
            "user_id": {"type": "string", "description": "User associated with the task"},
            "expires_at": {"type": ["null", "string"], "description": "Datetime when this resource would be subject to removal"},
            "created_at": {"type": "string", "description": "Datetime when this resource was created"},
            "updated_at": {"type": "string", "description": "Datetime when this resource was updated"},
            "self": {"type": "string"},
            "schema": {"type": "string"}
        },
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "describedby", "href": "{schema}"}
        ]
    })
}

/// `GET /v2/schemas/task`.
pub async fn task() -> Json<Value> {
    Json(task_schema())
}

/// `GET /v2/schemas/tasks`.
pub async fn tasks() -> Json<Value> {
    Json(json!({
        "name": "tasks",
        "properties": {
            "tasks": {"type": "array", "items": task_schema()},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"}
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"}
        ]
    }))
}
