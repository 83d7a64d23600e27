//! Sharing through `/v2/images/{id}/members`: who may add, answer, see and
//! remove memberships, and what shared images look like to members.

mod common;

use axum::http::{Method, StatusCode};
use common::{As, TestApp};
use serde_json::{json, Value};

const OWNER: As = As::Member("p1");
const FRIEND: As = As::Member("p2");
const STRANGER: As = As::Member("p3");

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn put_json(app: &TestApp, who: As, uri: &str, body: Value) -> common::TestResponse {
    app.request(
        who,
        Method::PUT,
        uri,
        Some("application/json"),
        Some(body.to_string()),
        &[],
    )
    .await
}

async fn listed_ids(app: &TestApp, who: As, query: &str) -> Vec<String> {
    let r = app.get(who, &format!("/v2/images{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
}

#[tokio::test]
async fn a_shared_image_is_offered_accepted_and_withdrawn() {
    let app = TestApp::new().await;
    let image = app
        .create_image(OWNER, json!({"name": "shared", "visibility": "shared"}))
        .await;
    let members = format!("/v2/images/{}/members", id(&image));

    // Not offered yet: the friend neither sees it nor lists it.
    assert_eq!(
        app.get(FRIEND, &format!("/v2/images/{}", id(&image)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let r = app
        .post_json(OWNER, &members, json!({"member": "p2"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let m = r.json();
    assert_eq!(m["member_id"], "p2");
    assert_eq!(m["image_id"], image["id"]);
    assert_eq!(m["status"], "pending");
    assert_eq!(m["schema"], "/v2/schemas/member");
    assert!(m["created_at"].as_str().unwrap().ends_with('Z'));

    // Pending: visible by id, and listed only when asked for.
    assert_eq!(
        app.get(FRIEND, &format!("/v2/images/{}", id(&image)))
            .await
            .status,
        StatusCode::OK
    );
    assert!(listed_ids(&app, FRIEND, "").await.is_empty());
    assert_eq!(
        listed_ids(&app, FRIEND, "?member_status=pending").await,
        vec![id(&image)]
    );

    // The owner may not answer for the member; the member may.
    let own = format!("{members}/p2");
    let r = put_json(&app, OWNER, &own, json!({"status": "accepted"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = put_json(&app, FRIEND, &own, json!({"status": "accepted"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "accepted");
    assert_eq!(listed_ids(&app, FRIEND, "").await, vec![id(&image)]);
    assert_eq!(
        listed_ids(&app, FRIEND, "?visibility=shared").await,
        vec![id(&image)]
    );

    // The member sees its own membership, the owner sees all.
    app.post_json(OWNER, &members, json!({"member": "p4"}))
        .await;
    let r = app.get(FRIEND, &members).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["members"].as_array().unwrap().len(), 1);
    assert_eq!(r.json()["schema"], "/v2/schemas/members");
    assert_eq!(
        app.get(OWNER, &members).await.json()["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(app.get(FRIEND, &own).await.status, StatusCode::OK);
    assert_eq!(
        app.get(FRIEND, &format!("{members}/p4")).await.status,
        StatusCode::NOT_FOUND
    );

    // A member may not remove itself; the owner withdraws the offer.
    assert_eq!(app.delete(FRIEND, &own).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(OWNER, &own).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(OWNER, &own).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(FRIEND, &format!("/v2/images/{}", id(&image)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn member_errors_match_glance() {
    let app = TestApp::new().await;
    let private = app
        .create_image(OWNER, json!({"name": "p", "visibility": "private"}))
        .await;
    let shared = app
        .create_image(OWNER, json!({"visibility": "shared"}))
        .await;
    let private_members = format!("/v2/images/{}/members", id(&private));
    let members = format!("/v2/images/{}/members", id(&shared));
    let json_of = |r: &common::TestResponse| r.text.clone();

    let r = app
        .post_json(OWNER, &private_members, json!({"member": "p2"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        json_of(&r).contains(&format!(
            "Not allowed to create members for image {}.",
            id(&private)
        )),
        "{}",
        r.text
    );
    let r = app.get(OWNER, &private_members).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.text.contains("Only shared images have members."),
        "{}",
        r.text
    );
    assert_eq!(
        app.get(OWNER, &format!("{private_members}/p2"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    for (body, message) in [
        (json!({}), "Member to be added not specified"),
        (json!({"member": ""}), "Member can&#x27;t be empty"),
    ] {
        let r = app.post_json(OWNER, &members, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.text.contains(message), "{}", r.text);
    }
    let r = app
        .request(
            OWNER,
            Method::POST,
            &members,
            Some("application/json"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("Body expected in request."), "{}", r.text);

    app.post_json(OWNER, &members, json!({"member": "p2"}))
        .await;
    let r = app
        .post_json(OWNER, &members, json!({"member": "p2"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.text.contains(&format!(
            "Member p2 is duplicated for image {}",
            id(&shared)
        )),
        "{}",
        r.text
    );

    // Only the owner offers the image.
    let r = app
        .post_json(FRIEND, &members, json!({"member": "p5"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A project that is neither owner nor member sees nothing at all.
    let r = app
        .post_json(STRANGER, &members, json!({"member": "p3"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(STRANGER, &members).await.status,
        StatusCode::NOT_FOUND
    );

    let own = format!("{members}/p2");
    let r = put_json(&app, FRIEND, &own, json!({"status": "maybe"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text.contains(
            "Status must be &quot;pending&quot;, &quot;accepted&quot; or &quot;rejected&quot;."
        ),
        "{}",
        r.text
    );
    let r = put_json(&app, FRIEND, &own, json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("Status not specified"), "{}", r.text);
    let r = put_json(
        &app,
        FRIEND,
        &format!("{members}/p9"),
        json!({"status": "accepted"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.text
            .contains("p9 not found in the member list of the image"),
        "{}",
        r.text
    );

    let r = app
        .get(OWNER, &format!("/v2/images/{}/members", uuid_like()))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

fn uuid_like() -> &'static str {
    "0c6f29c8-2f63-4d41-9a0c-6b0d9e3e5f00"
}

#[tokio::test]
async fn member_quota_is_413() {
    let mut config = glint_config::Config::defaults();
    config.image_member_quota = 2;
    let app = TestApp::with_config(config).await;
    let shared = app
        .create_image(OWNER, json!({"visibility": "shared"}))
        .await;
    let members = format!("/v2/images/{}/members", id(&shared));
    for p in ["a", "b"] {
        let r = app.post_json(OWNER, &members, json!({"member": p})).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = app.post_json(OWNER, &members, json!({"member": "c"})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert!(r.text.contains("Attempted: 3, Maximum: 2"), "{}", r.text);
}

#[tokio::test]
async fn member_schemas() {
    let app = TestApp::new().await;
    let member = app.get(OWNER, "/v2/schemas/member").await.json();
    assert_eq!(member["name"], "member");
    assert_eq!(
        member["properties"]["status"]["enum"],
        json!(["pending", "accepted", "rejected"])
    );
    let members = app.get(OWNER, "/v2/schemas/members").await.json();
    assert_eq!(members["properties"]["members"]["items"]["name"], "member");
    assert_eq!(members["links"][0]["rel"], "describedby");
}
