-- Indexes for the queries Glint runs, in place of those that mislead
-- SQLite's planner.
--
-- With no ANALYZE statistics SQLite takes an index on `deleted` for any
-- `deleted = 0` condition, although nearly every row has deleted = 0: the
-- properties, members and locations of a page of images were then read by
-- scanning the whole table. Lookups by image_id use the image_id indexes
-- instead; nothing queries by `deleted` alone except the purge, which is rare.
DROP INDEX IF EXISTS ix_images_deleted;
DROP INDEX IF EXISTS ix_image_properties_deleted;
DROP INDEX IF EXISTS ix_image_members_deleted;
DROP INDEX IF EXISTS ix_image_locations_deleted;

-- Listing sorted by name walks this index instead of sorting every
-- candidate (SQLite sorts NULL first, as Glance's order wants).
DROP INDEX IF EXISTS glint_images_name_idx;
CREATE INDEX glint_images_name_idx ON images (deleted, name);

-- Start-up finds uploads interrupted by a restart (status 'saving') without
-- reading every image.
CREATE INDEX glint_images_status_idx ON images (status);
