//! `/v2/metadefs/namespaces` and `/v2/metadefs/resource_types` over the
//! 33 standard catalogs.

mod common;

use axum::http::StatusCode;
use common::{As, TestApp};
use serde_json::{json, Value};

const ADMIN: As = As::Admin("p1");
const READER: As = As::Reader("p2");

async fn with_catalogs() -> TestApp {
    let app = TestApp::new().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/metadefs");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            let doc: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            app.services()
                .metadefs
                .load_document(&doc, glint_service::metadefs::LoadMode::Skip)
                .await
                .unwrap();
        }
    }
    app
}

fn names(list: &Value) -> Vec<String> {
    list["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["namespace"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn list_pages_filters_and_sorts() {
    let app = with_catalogs().await;
    let all = app
        .get(
            ADMIN,
            "/v2/metadefs/namespaces?limit=100&sort_key=namespace&sort_dir=asc",
        )
        .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let all = all.json();
    assert_eq!(names(&all).len(), 33);
    assert_eq!(names(&all)[0], "CIM::ProcessorAllocationSettingData");
    assert_eq!(all["schema"], "/v2/schemas/metadefs/namespaces");
    assert!(all.get("next").is_none());
    // Two catalogs name no visibility: private to their owner (admin).
    let public = app
        .get(READER, "/v2/metadefs/namespaces?limit=100")
        .await
        .json();
    assert_eq!(names(&public).len(), 31);

    let page = app
        .get(
            ADMIN,
            "/v2/metadefs/namespaces?limit=10&sort_key=namespace&sort_dir=asc",
        )
        .await
        .json();
    assert_eq!(names(&page), names(&all)[..10]);
    let next = page["next"].as_str().unwrap().to_string();
    assert!(
        next.contains("marker=OS%3A%3ACompute%3A%3ACPUPinning"),
        "{next}"
    );
    let second = app.get(ADMIN, &next).await.json();
    assert_eq!(names(&second), names(&all)[10..20]);

    let images = app
        .get(
            READER,
            "/v2/metadefs/namespaces?resource_types=OS::Glance::Image&limit=100",
        )
        .await
        .json();
    let image_namespaces = names(&images);
    assert!(image_namespaces.contains(&"OS::Compute::Watchdog".to_string()));
    assert!(!image_namespaces.contains(&"OS::Compute::Quota".to_string()));
    for ns in images["namespaces"].as_array().unwrap() {
        assert!(ns["resource_type_associations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "OS::Glance::Image"));
    }

    for bad in [
        "sort_dir=up",
        "sort_key=color",
        "limit=x",
        "visibility=shared",
        "marker=nope",
    ] {
        let r = app
            .get(READER, &format!("/v2/metadefs/namespaces?{bad}"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
    }
}

#[tokio::test]
async fn show_with_and_without_a_resource_type_prefix() {
    let app = with_catalogs().await;
    let watchdog = app
        .get(READER, "/v2/metadefs/namespaces/OS::Compute::Watchdog")
        .await;
    assert_eq!(watchdog.status, StatusCode::OK, "{}", watchdog.text);
    let watchdog = watchdog.json();
    assert_eq!(watchdog["display_name"], "Watchdog Behavior");
    assert_eq!(watchdog["protected"], true);
    assert_eq!(
        watchdog["properties"]["watchdog_action"]["enum"][0],
        "disabled"
    );
    assert_eq!(
        watchdog["self"],
        "/v2/metadefs/namespaces/OS::Compute::Watchdog"
    );
    let prefixed = app
        .get(
            READER,
            "/v2/metadefs/namespaces/OS::Compute::Watchdog?resource_type=OS::Glance::Image",
        )
        .await
        .json();
    assert!(prefixed["properties"].get("hw_watchdog_action").is_some());
    let flavor = app
        .get(
            READER,
            "/v2/metadefs/namespaces/OS::Compute::Watchdog?resource_type=OS::Nova::Flavor",
        )
        .await
        .json();
    assert!(flavor["properties"].get("hw:watchdog_action").is_some());

    let objects = app
        .get(READER, "/v2/metadefs/namespaces/OS::Software::WebServers")
        .await
        .json();
    assert_eq!(objects["objects"][0]["name"], "Apache HTTP Server");
    assert_eq!(
        app.get(READER, "/v2/metadefs/namespaces/OS::Nope")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let types = app.get(READER, "/v2/metadefs/resource_types").await.json();
    let types: Vec<&str> = types["resource_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for t in [
        "OS::Glance::Image",
        "OS::Cinder::Volume",
        "OS::Nova::Flavor",
    ] {
        assert!(types.contains(&t), "{types:?}");
    }
}

#[tokio::test]
async fn create_and_delete_follow_ownership_and_protection() {
    let app = with_catalogs().await;
    let body = json!({
        "namespace": "MyCloud::Billing",
        "display_name": "Billing",
        "visibility": "private",
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "bill_"}],
        "properties": {"code": {"type": "string", "title": "Code"}},
        "objects": [{"name": "Account", "properties": {"id": {"type": "integer", "title": "Id"}}, "required": ["id"]}],
        "tags": [{"name": "finance"}]
    });
    // Only admins change the catalog.
    let r = app
        .post_json(As::Member("p1"), "/v2/metadefs/namespaces", body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app
        .post_json(ADMIN, "/v2/metadefs/namespaces", body.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let created = r.json();
    assert_eq!(created["owner"], "p1");
    assert_eq!(created["tags"][0]["name"], "finance");
    assert_eq!(created["objects"][0]["required"], json!(["id"]));
    let r = app.post_json(ADMIN, "/v2/metadefs/namespaces", body).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Private: another project's reader does not see it.
    assert_eq!(
        app.get(READER, "/v2/metadefs/namespaces/MyCloud::Billing")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(As::Reader("p1"), "/v2/metadefs/namespaces/MyCloud::Billing")
            .await
            .status,
        StatusCode::OK
    );

    for (bad, status) in [
        (json!({"display_name": "no name"}), StatusCode::BAD_REQUEST),
        (
            json!({"namespace": "x", "visibility": "shared"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"namespace": "x", "self": "/v2/x"}),
            StatusCode::FORBIDDEN,
        ),
        (
            json!({"namespace": "x", "properties": {"p": {"type": "text", "title": "P"}}}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"namespace": "x", "objects": [{"name": "o", "properties": {"p": {"type": "string"}}}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"namespace": "x", "properties": {"p": {"type": "integer", "title": "P", "minimum": "1"}}}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = app.post_json(ADMIN, "/v2/metadefs/namespaces", bad).await;
        assert_eq!(r.status, status, "{}", r.text);
    }

    assert_eq!(
        app.delete(ADMIN, "/v2/metadefs/namespaces/OS::Compute::Watchdog")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(As::Member("p1"), "/v2/metadefs/namespaces/MyCloud::Billing")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(ADMIN, "/v2/metadefs/namespaces/MyCloud::Billing")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(ADMIN, "/v2/metadefs/namespaces/MyCloud::Billing")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn put_json(app: &TestApp, who: As, uri: &str, body: Value) -> common::TestResponse {
    app.request(
        who,
        axum::http::Method::PUT,
        uri,
        Some("application/json"),
        Some(body.to_string()),
        &[],
    )
    .await
}

#[tokio::test]
async fn properties_objects_tags_and_associations() {
    let app = TestApp::new().await;
    let ns = "/v2/metadefs/namespaces/Test::Things";
    let r = app
        .post_json(
            ADMIN,
            "/v2/metadefs/namespaces",
            json!({"namespace": "Test::Things", "visibility": "public"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Properties.
    let prop = json!({"name": "speed", "type": "integer", "title": "Speed", "minimum": 1});
    let r = app
        .post_json(ADMIN, &format!("{ns}/properties"), prop.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["minimum"], 1);
    assert_eq!(
        app.post_json(ADMIN, &format!("{ns}/properties"), prop)
            .await
            .status,
        StatusCode::CONFLICT
    );
    let r = app
        .post_json(
            ADMIN,
            &format!("{ns}/properties"),
            json!({"name": "x", "type": "string"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(
        app.post_json(
            As::Member("p1"),
            &format!("{ns}/properties"),
            json!({"name": "y", "type": "string", "title": "Y"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let listed = app.get(READER, &format!("{ns}/properties")).await.json();
    assert_eq!(listed["properties"]["speed"]["title"], "Speed");
    let r = put_json(
        &app,
        ADMIN,
        &format!("{ns}/properties/speed"),
        json!({"name": "velocity", "type": "integer", "title": "Velocity"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get(READER, &format!("{ns}/properties/speed"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(READER, &format!("{ns}/properties/velocity"))
            .await
            .json()["title"],
        "Velocity"
    );

    // Objects.
    let r = app
        .post_json(
            ADMIN,
            &format!("{ns}/objects"),
            json!({"name": "Engine", "required": ["power"], "properties": {"power": {"type": "integer", "title": "Power"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["self"], format!("{ns}/objects/Engine"));
    let objects = app.get(READER, &format!("{ns}/objects")).await.json();
    assert_eq!(objects["objects"][0]["required"], json!(["power"]));
    let r = put_json(
        &app,
        ADMIN,
        &format!("{ns}/objects/Engine"),
        json!({"name": "Motor", "description": "d"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get(READER, &format!("{ns}/objects/Motor")).await.json()["description"],
        "d"
    );
    assert_eq!(
        app.delete(ADMIN, &format!("{ns}/objects/Motor"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(ADMIN, &format!("{ns}/objects/Motor"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Tags: single, batch (replace and append), rename, delete.
    assert_eq!(
        app.post(ADMIN, &format!("{ns}/tags/fast")).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.post(ADMIN, &format!("{ns}/tags/fast")).await.status,
        StatusCode::CONFLICT
    );
    let r = app
        .post_json(
            ADMIN,
            &format!("{ns}/tags"),
            json!({"tags": [{"name": "a"}, {"name": "b"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let tag_names = |v: Value| -> Vec<String> {
        v["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        tag_names(app.get(READER, &format!("{ns}/tags")).await.json()),
        vec!["a", "b"]
    );
    let r = app
        .request(
            ADMIN,
            axum::http::Method::POST,
            &format!("{ns}/tags"),
            Some("application/json"),
            Some(json!({"tags": [{"name": "c"}]}).to_string()),
            &[("x-openstack-append", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        tag_names(app.get(READER, &format!("{ns}/tags")).await.json()),
        vec!["a", "b", "c"]
    );
    let r = put_json(&app, ADMIN, &format!("{ns}/tags/a"), json!({"name": "z"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.delete(ADMIN, &format!("{ns}/tags/b")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        tag_names(app.get(READER, &format!("{ns}/tags")).await.json()),
        vec!["z", "c"]
    );
    assert_eq!(
        app.delete(ADMIN, &format!("{ns}/tags")).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(tag_names(app.get(READER, &format!("{ns}/tags")).await.json()).is_empty());

    // Resource type associations.
    let r = app
        .post_json(
            ADMIN,
            &format!("{ns}/resource_types"),
            json!({"name": "OS::Glance::Image", "prefix": "t_"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        app.post_json(
            ADMIN,
            &format!("{ns}/resource_types"),
            json!({"name": "OS::Glance::Image"})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    let shown = app
        .get(READER, &format!("{ns}?resource_type=OS::Glance::Image"))
        .await
        .json();
    assert!(shown["properties"].get("t_velocity").is_some(), "{shown}");
    assert_eq!(
        app.delete(ADMIN, &format!("{ns}/resource_types/OS::Glance::Image"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(app
        .get(READER, &format!("{ns}/resource_types"))
        .await
        .json()["resource_type_associations"]
        .as_array()
        .unwrap()
        .is_empty());

    // The namespace itself: rename and change attributes.
    let r = put_json(
        &app,
        ADMIN,
        ns,
        json!({"namespace": "Test::Renamed", "visibility": "public", "display_name": "R"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let renamed = app
        .get(READER, "/v2/metadefs/namespaces/Test::Renamed")
        .await
        .json();
    assert_eq!(renamed["display_name"], "R");
    assert_eq!(renamed["properties"]["velocity"]["title"], "Velocity");
}

#[tokio::test]
async fn loading_merges_as_glance_manage_does() {
    use glint_service::metadefs::{LoadMode, Loaded};
    let app = TestApp::new().await;
    let metadefs = &app.services().metadefs;
    let v1 = json!({"namespace": "Load::Me", "visibility": "public", "display_name": "one",
        "properties": {"a": {"type": "string", "title": "A1"}}});
    let v2 = json!({"namespace": "Load::Me", "visibility": "public", "display_name": "two",
        "properties": {"a": {"type": "string", "title": "A2"}, "b": {"type": "string", "title": "B"}}});
    assert_eq!(
        metadefs.load_document(&v1, LoadMode::Skip).await.unwrap(),
        Loaded::Created("Load::Me".into())
    );
    let show = || async {
        app.get(READER, "/v2/metadefs/namespaces/Load::Me")
            .await
            .json()
    };
    metadefs.load_document(&v2, LoadMode::Skip).await.unwrap();
    assert!(show().await["properties"].get("b").is_none());
    metadefs
        .load_document(&v2, LoadMode::Merge { prefer_new: false })
        .await
        .unwrap();
    let merged = show().await;
    assert_eq!(merged["properties"]["a"]["title"], "A1");
    assert_eq!(merged["properties"]["b"]["title"], "B");
    assert_eq!(merged["display_name"], "one");
    metadefs
        .load_document(&v2, LoadMode::Merge { prefer_new: true })
        .await
        .unwrap();
    let preferred = show().await;
    assert_eq!(preferred["properties"]["a"]["title"], "A2");
    assert_eq!(preferred["display_name"], "two");
    metadefs
        .load_document(&v1, LoadMode::Overwrite)
        .await
        .unwrap();
    assert!(show().await["properties"].get("b").is_none());
}

#[tokio::test]
async fn metadef_schemas_are_served() {
    let app = TestApp::new().await;
    for name in [
        "namespace",
        "namespaces",
        "resource_type",
        "resource_types",
        "property",
        "properties",
        "object",
        "objects",
        "tag",
        "tags",
    ] {
        let r = app
            .get(READER, &format!("/v2/schemas/metadefs/{name}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{name}");
        assert!(r.json()["name"].is_string(), "{name}");
    }
    assert_eq!(
        app.get(READER, "/v2/schemas/metadefs/namespace")
            .await
            .json()["properties"]["namespace"]["maxLength"],
        80
    );
    assert_eq!(
        app.get(READER, "/v2/schemas/metadefs/nothing").await.status,
        StatusCode::NOT_FOUND
    );
}
