//! A plain HTTP server that answers every request with `hello`, and one
//! GET through a client.

#![allow(dead_code)]

use std::net::SocketAddr;

use bytes::Bytes;
use glint_http_client::{Client, Trust};
use http_body_util::{BodyExt, Empty};

/// Serves `hello` on a free loopback port for the rest of the test.
pub async fn hello_server() -> SocketAddr {
    glint_http_client::testing::answering(
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
    )
    .await
}

/// GETs `url` with a client trusting `trust`: the body, or the error
/// as `describe` words it.
pub async fn get(trust: &Trust, url: &str) -> Result<String, String> {
    let client: Client<Empty<Bytes>> =
        glint_http_client::client(trust, std::time::Duration::from_secs(5)).unwrap();
    let response = client
        .get(url.parse().unwrap())
        .await
        .map_err(|e| glint_http_client::describe(&e))?;
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Ok(String::from_utf8_lossy(&body).into_owned())
}
