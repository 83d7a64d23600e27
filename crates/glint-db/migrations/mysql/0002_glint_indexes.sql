-- Glint's indexes, beside Glance's: the default listing's order, name
-- lookups, member lookups by project, property filters (on a prefix of the
-- TEXT value), and each image's live child rows (properties, tags,
-- locations, members) fetched by (image_id, deleted).
CREATE INDEX glint_images_list_idx ON images (deleted, created_at, id);
CREATE INDEX glint_images_name_idx ON images (name);
CREATE INDEX glint_image_properties_name_value_idx ON image_properties (name, value(191));
CREATE INDEX glint_image_members_member_idx ON image_members (member, status);
CREATE INDEX glint_image_properties_image_id_deleted_idx ON image_properties (image_id, deleted);
CREATE INDEX glint_image_tags_image_id_deleted_idx ON image_tags (image_id, deleted);
CREATE INDEX glint_image_locations_image_id_deleted_idx ON image_locations (image_id, deleted);
CREATE INDEX glint_image_members_image_id_deleted_idx ON image_members (image_id, deleted);
