//! `/api/glance/metadefs/…`, the sharing routes, the session routes and
//! the page over HTTP.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{As, TestApp};
use serde_json::{json, Value};

const ALICE: As = As::Member("alice");
const BOB: As = As::Member("bob");
const IMAGE_TYPE: &str = "resource_type=OS::Glance::Image";

fn namespaces(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["namespace"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn namespaces_for_a_resource_type_are_whole_and_prefixed() {
    let app = TestApp::new().await;
    app.load_metadefs().await;
    let missing = app.get(ALICE, "/api/glance/metadefs/namespaces/").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json(),
        json!("missing required parameter: resource_type")
    );

    // OS::OperatingSystem is loaded private (its file names no
    // visibility), so only an admin sees all 21.
    let seen_by_alice = app
        .get(
            ALICE,
            &format!("/api/glance/metadefs/namespaces/?{IMAGE_TYPE}"),
        )
        .await
        .json();
    assert!(!namespaces(&seen_by_alice)
        .iter()
        .any(|n| n == "OS::OperatingSystem"));
    let all = app
        .get(
            As::Anyone,
            &format!("/api/glance/metadefs/namespaces/?{IMAGE_TYPE}"),
        )
        .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let all = all.json();
    let names = namespaces(&all);
    assert_eq!(names.len(), 21, "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by namespace, ascending");
    assert!(
        !names.iter().any(|n| n == "OS::Compute::Quota"),
        "not for images"
    );
    assert_eq!(
        (all["has_more_data"].clone(), all["has_prev_data"].clone()),
        (json!(false), json!(false))
    );
    let watchdog = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["namespace"] == "OS::Compute::Watchdog")
        .unwrap();
    assert_eq!(
        watchdog["properties"]["hw_watchdog_action"]["type"], "string",
        "properties carry the image prefix: {watchdog}"
    );
    assert!(watchdog["resource_type_associations"].is_array());

    let page = |query: String| {
        let app = &app;
        async move {
            app.send(
                As::Anyone,
                Method::GET,
                &format!("/api/glance/metadefs/namespaces/?{IMAGE_TYPE}&paginate=true{query}"),
                &[("cookie", "API_RESULT_PAGE_SIZE=8")],
                Body::empty(),
            )
            .await
            .json()
        }
    };
    let first = page(String::new()).await;
    assert_eq!(namespaces(&first), names[..8]);
    assert_eq!(
        (
            first["has_more_data"].clone(),
            first["has_prev_data"].clone()
        ),
        (json!(true), json!(false))
    );
    let second = page(format!("&marker={}", names[7])).await;
    assert_eq!(namespaces(&second), names[8..16]);
    assert_eq!(
        (
            second["has_more_data"].clone(),
            second["has_prev_data"].clone()
        ),
        (json!(true), json!(true))
    );
    let last = page(format!("&marker={}", names[15])).await;
    assert_eq!(namespaces(&last), names[16..]);
    assert_eq!(
        (last["has_more_data"].clone(), last["has_prev_data"].clone()),
        (json!(false), json!(true))
    );

    let desc = app
        .get(
            As::Anyone,
            &format!("/api/glance/metadefs/namespaces/?{IMAGE_TYPE}&sort_dir=desc"),
        )
        .await
        .json();
    assert_eq!(namespaces(&desc).first(), names.last());
    let targeted = app
        .get(ALICE, "/api/glance/metadefs/namespaces/?resource_type=OS::Cinder::Volume&properties_target=image")
        .await
        .json();
    let targeted = targeted["items"].as_array().unwrap();
    assert!(!targeted.is_empty());
    for ns in targeted {
        assert!(
            ns["resource_type_associations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == "OS::Cinder::Volume" && a["properties_target"] == "image"),
            "{}",
            ns["namespace"]
        );
    }
    let untargeted = app
        .get(ALICE, "/api/glance/metadefs/namespaces/?resource_type=OS::Cinder::Volume&properties_target=other")
        .await
        .json();
    assert_eq!(untargeted["items"], json!([]));
    let bad = app
        .get(
            ALICE,
            &format!("/api/glance/metadefs/namespaces/?{IMAGE_TYPE}&sort_key=owner"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn resource_types_are_items() {
    let app = TestApp::new().await;
    app.load_metadefs().await;
    let answer = app.get(ALICE, "/api/glance/metadefs/resourcetypes/").await;
    assert_eq!(answer.status, StatusCode::OK);
    let items = answer.json()["items"].as_array().unwrap().clone();
    assert!(items.iter().any(|t| t["name"] == "OS::Glance::Image"));
    assert!(items[0]["created_at"].is_string());
}

#[tokio::test]
async fn sharing_offers_and_answers() {
    let app = TestApp::new().await;
    let image = app
        .upload(ALICE, &[("name", "shared"), ("visibility", "shared")], b"x")
        .await
        .json();
    let id = image["id"].as_str().unwrap();
    let members = format!("/api/glance/images/{id}/members/");

    let missing = app
        .json(ALICE, Method::POST, &members, json!({"who": "bob"}))
        .await;
    assert_eq!(missing.json(), json!("missing required field: member"));
    let offered = app
        .json(ALICE, Method::POST, &members, json!({"member": "bob"}))
        .await;
    assert_eq!(offered.status, StatusCode::CREATED, "{}", offered.text);
    assert_eq!(offered.json()["status"], "pending");
    let again = app
        .json(ALICE, Method::POST, &members, json!({"member": "bob"}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let pending = app
        .get(
            BOB,
            "/api/glance/images/?visibility=shared&member_status=pending",
        )
        .await
        .json();
    assert_eq!(pending["items"][0]["id"], id);
    let accepted = app
        .json(
            BOB,
            Method::PUT,
            &format!("{members}bob/"),
            json!({"status": "accepted"}),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(accepted.json()["status"], "accepted");
    let listed = app.get(BOB, "/api/glance/images/").await.json();
    assert_eq!(listed["items"][0]["id"], id);
    let list = app.get(ALICE, &members).await.json();
    assert_eq!(list["items"][0]["member_id"], "bob");

    let withdrawn = app
        .send(
            ALICE,
            Method::DELETE,
            &format!("{members}bob/"),
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(BOB, "/api/glance/images/").await.json()["items"],
        json!([])
    );
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token() {
    let app = TestApp::new().await;
    let session = app.get(As::Anyone, "/dashboard/session").await;
    assert_eq!(session.status, StatusCode::OK);
    assert_eq!(session.json()["auth"], "noauth");
    assert_eq!(session.json()["csrf_token"], Value::Null);

    let cookie = "glint_session=some-token";
    let forged = app
        .send(
            As::Anyone,
            Method::PUT,
            "/api/glance/images/",
            &[("cookie", cookie), ("content-type", "application/json")],
            Body::from("{}"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.json(), json!("CSRF token missing or incorrect."));
    let csrf = glint_dashboard::session::csrf_token("some-token");
    let session = app
        .send(
            As::Anyone,
            Method::GET,
            "/dashboard/session",
            &[("cookie", cookie)],
            Body::empty(),
        )
        .await
        .json();
    assert_eq!(session["csrf_token"], csrf.as_str());
    let allowed = app
        .send(
            As::Anyone,
            Method::PUT,
            "/api/glance/images/",
            &[
                ("cookie", cookie),
                ("x-csrftoken", &csrf),
                ("content-type", "application/json"),
            ],
            Body::from("{}"),
        )
        .await;
    assert_eq!(
        allowed.json(),
        json!("request requires JSON body"),
        "past the CSRF check"
    );

    let login = app
        .json(
            As::Anyone,
            Method::POST,
            "/dashboard/login",
            json!({"username": "u"}),
        )
        .await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST);
    assert!(login.json().as_str().unwrap().contains("noauth"));
    let logout = app
        .send(
            As::Anyone,
            Method::POST,
            "/dashboard/logout",
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    let cleared = logout.header("set-cookie").unwrap();
    assert!(
        cleared.contains("glint_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
}

#[tokio::test]
async fn writes_must_be_ajax_and_errors_are_json() {
    let app = TestApp::new().await;
    let image = app.upload(As::Anyone, &[("name", "x")], b"x").await.json();
    let deactivate = format!(
        "/api/glance/images/{}/actions/deactivate",
        image["id"].as_str().unwrap()
    );
    let plain = app
        .send(
            As::Anyone,
            Method::POST,
            &deactivate,
            &[("x-requested-with", "")],
            Body::empty(),
        )
        .await;
    assert_eq!(plain.status, StatusCode::BAD_REQUEST);
    assert_eq!(plain.json(), json!("request must be AJAX"));
    let shown = app
        .get(
            As::Anyone,
            &format!("/api/glance/images/{}/", image["id"].as_str().unwrap()),
        )
        .await
        .json();
    assert_eq!(shown["status"], "active", "nothing was done");
    // Reads need no header.
    let list = app
        .send(
            As::Anyone,
            Method::GET,
            "/api/glance/images/",
            &[("x-requested-with", "")],
            Body::empty(),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);

    // A malformed form is answered in JSON too.
    let not_a_form = app
        .send(
            As::Anyone,
            Method::POST,
            "/api/glance/images/",
            &[("content-type", "text/plain")],
            Body::from("data"),
        )
        .await;
    assert!(not_a_form.status.is_client_error());
    assert!(not_a_form.json().is_string(), "{}", not_a_form.text);
    let unknown = app.get(As::Anyone, "/api/glance/nothing/").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_and_its_assets_are_served() {
    let app = TestApp::new().await;
    let page = app.get(As::Anyone, "/dashboard").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    assert!(page.text.contains("app.js"));
    let script = app.get(As::Anyone, "/dashboard/app.js").await;
    assert!(script
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    let style = app.get(As::Anyone, "/dashboard/app.css").await;
    assert_eq!(style.status, StatusCode::OK);
    // The Image API still answers behind the dashboard.
    let v2 = app.get(As::Anyone, "/v2/images").await;
    assert_eq!(v2.status, StatusCode::OK);
    assert!(v2.json()["images"].is_array());
}
