//! The Image API v2 resources, one module each.

pub mod cache;
pub mod image_actions;
pub mod image_data;
pub mod image_view;
pub mod images;
pub mod import;
pub mod info;
pub mod list_params;
pub mod locations;
pub mod members;
pub mod metadef_contents;
pub mod metadefs;
pub mod schemas;
pub mod tags;
pub mod tasks;
