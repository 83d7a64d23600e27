-- Glance's tables and columns as `glance-manage db sync` creates them on
-- MySQL/MariaDB (InnoDB, BOOLEAN as TINYINT(1), the visibility ENUM), so
-- that a Glance database can be served and a Glint database read by Glance.
-- Two deliberate differences, both invisible to Glance's SQLAlchemy models:
-- timestamps are DATETIME(6), not DATETIME, so that they keep the
-- microseconds Glint's compare-and-swap on metadef namespaces relies on;
-- and the character set is utf8mb4, not utf8 (utf8mb3), so that any Unicode
-- name or property fits. Smaller ones, also harmless to Glance (checked
-- against `SHOW CREATE TABLE` after Glance 33's db sync on MariaDB 10.11):
-- no CHECK (col IN (0, 1)) on BOOLEAN columns, and min_disk/min_ram
-- default to 0. Glint's own indexes are in 0002.
CREATE TABLE images (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    name VARCHAR(255),
    size BIGINT,
    status VARCHAR(30) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    deleted_at DATETIME(6),
    deleted BOOLEAN NOT NULL,
    disk_format VARCHAR(20),
    container_format VARCHAR(20),
    checksum VARCHAR(32),
    owner VARCHAR(255),
    min_disk INTEGER NOT NULL DEFAULT 0,
    min_ram INTEGER NOT NULL DEFAULT 0,
    protected BOOLEAN NOT NULL DEFAULT 0,
    virtual_size BIGINT,
    visibility ENUM('private', 'public', 'shared', 'community') NOT NULL DEFAULT 'shared',
    os_hidden BOOLEAN NOT NULL DEFAULT 0,
    os_hash_algo VARCHAR(64),
    os_hash_value VARCHAR(128)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX checksum_image_idx ON images (checksum);
CREATE INDEX ix_images_deleted ON images (deleted);
CREATE INDEX owner_image_idx ON images (owner);
CREATE INDEX created_at_image_idx ON images (created_at);
CREATE INDEX updated_at_image_idx ON images (updated_at);
CREATE INDEX visibility_image_idx ON images (visibility);
CREATE INDEX os_hidden_image_idx ON images (os_hidden);
CREATE INDEX os_hash_value_image_idx ON images (os_hash_value);

CREATE TABLE image_properties (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    image_id VARCHAR(36) NOT NULL REFERENCES images (id),
    name VARCHAR(255) NOT NULL,
    value TEXT,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    deleted_at DATETIME(6),
    deleted BOOLEAN NOT NULL,
    CONSTRAINT ix_image_properties_image_id_name UNIQUE (image_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_image_properties_deleted ON image_properties (deleted);
CREATE INDEX ix_image_properties_image_id ON image_properties (image_id);

CREATE TABLE image_tags (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    image_id VARCHAR(36) NOT NULL REFERENCES images (id),
    value VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    deleted_at DATETIME(6),
    deleted BOOLEAN NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_image_tags_image_id ON image_tags (image_id);
CREATE INDEX ix_image_tags_image_id_tag_value ON image_tags (image_id, value);

CREATE TABLE image_members (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    image_id VARCHAR(36) NOT NULL REFERENCES images (id),
    member VARCHAR(255) NOT NULL,
    can_share BOOLEAN NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    deleted_at DATETIME(6),
    deleted BOOLEAN NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    CONSTRAINT image_members_image_id_member_deleted_at_key UNIQUE (image_id, member, deleted_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_image_members_deleted ON image_members (deleted);
CREATE INDEX ix_image_members_image_id ON image_members (image_id);
CREATE INDEX ix_image_members_image_id_member ON image_members (image_id, member);

CREATE TABLE image_locations (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    image_id VARCHAR(36) NOT NULL REFERENCES images (id),
    value TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    deleted_at DATETIME(6),
    deleted BOOLEAN NOT NULL,
    meta_data TEXT,
    status VARCHAR(30) NOT NULL DEFAULT 'active'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_image_locations_deleted ON image_locations (deleted);
CREATE INDEX ix_image_locations_image_id ON image_locations (image_id);

CREATE TABLE tasks (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    type VARCHAR(30) NOT NULL,
    status VARCHAR(30) NOT NULL,
    owner VARCHAR(255) NOT NULL,
    expires_at DATETIME(6),
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    deleted_at DATETIME(6),
    deleted BOOLEAN NOT NULL,
    image_id VARCHAR(36),
    request_id VARCHAR(64),
    user_id VARCHAR(64)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_tasks_type ON tasks (type);
CREATE INDEX ix_tasks_status ON tasks (status);
CREATE INDEX ix_tasks_owner ON tasks (owner);
CREATE INDEX ix_tasks_deleted ON tasks (deleted);
CREATE INDEX ix_tasks_updated_at ON tasks (updated_at);
CREATE INDEX ix_tasks_image_id ON tasks (image_id);

CREATE TABLE task_info (
    task_id VARCHAR(36) NOT NULL PRIMARY KEY REFERENCES tasks (id),
    input TEXT,
    result TEXT,
    message TEXT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE metadef_namespaces (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    namespace VARCHAR(80) NOT NULL,
    display_name VARCHAR(80),
    description TEXT,
    visibility VARCHAR(32),
    protected BOOLEAN,
    owner VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT uq_metadef_namespaces_namespace UNIQUE (namespace)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_metadef_namespaces_owner ON metadef_namespaces (owner);

CREATE TABLE metadef_resource_types (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(80) NOT NULL,
    protected BOOLEAN NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT uq_metadef_resource_types_name UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE metadef_namespace_resource_types (
    resource_type_id INTEGER NOT NULL REFERENCES metadef_resource_types (id),
    namespace_id INTEGER NOT NULL REFERENCES metadef_namespaces (id),
    properties_target VARCHAR(80),
    prefix VARCHAR(80),
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    PRIMARY KEY (resource_type_id, namespace_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_metadef_ns_res_types_namespace_id ON metadef_namespace_resource_types (namespace_id);

CREATE TABLE metadef_objects (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    namespace_id INTEGER NOT NULL REFERENCES metadef_namespaces (id),
    name VARCHAR(80) NOT NULL,
    description TEXT,
    required TEXT,
    json_schema TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT uq_metadef_objects_namespace_id_name UNIQUE (namespace_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_metadef_objects_name ON metadef_objects (name);

CREATE TABLE metadef_properties (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    namespace_id INTEGER NOT NULL REFERENCES metadef_namespaces (id),
    name VARCHAR(80) NOT NULL,
    json_schema TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT uq_metadef_properties_namespace_id_name UNIQUE (namespace_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_metadef_properties_name ON metadef_properties (name);

CREATE TABLE metadef_tags (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    namespace_id INTEGER NOT NULL REFERENCES metadef_namespaces (id),
    name VARCHAR(80) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT uq_metadef_tags_namespace_id_name UNIQUE (namespace_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_metadef_tags_name ON metadef_tags (name);

-- Glance's image-cache tables (its centralized_db cache driver), unused by
-- Glint but part of the schema Glance expects at its head revision.
CREATE TABLE node_reference (
    node_reference_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    node_reference_url VARCHAR(255) NOT NULL,
    CONSTRAINT uq_node_reference_node_reference_url UNIQUE (node_reference_url)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE cached_images (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    image_id VARCHAR(36) NOT NULL,
    last_accessed DATETIME(6) NOT NULL,
    last_modified DATETIME(6) NOT NULL,
    size BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    checksum VARCHAR(32),
    node_reference_id BIGINT NOT NULL REFERENCES node_reference (node_reference_id),
    CONSTRAINT ix_cached_images_image_id_node_reference_id UNIQUE (image_id, node_reference_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Glance's record of its schema: `glance-manage db sync` and Glance's API
-- see this database as up to date (glint_db::glance_schema).
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO alembic_version (version_num) VALUES ('2024_1_contract01');
