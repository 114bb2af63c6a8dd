//! The pages (`/`, `/docs`, `/docs/<family>`) and their files (`/assets/…`) as
//! HTTP serves them, without a browser (`tests/docs_browser.rs` renders them):
//! every link and file they name is on this server and answers 200; no page names
//! another origin (no CDN, no font service); each carries the Content-Security-
//! Policy that keeps the browser on this server; a family's page loads exactly its
//! `/openapi/<file>`; unknown names are the router's 404; and none of these routes
//! is in the emitted OpenAPI documents.

mod common;

use common::TestServer;
use serde_json::{json, Value};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

/// A GET's status, headers and body.
async fn get(url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = reqwest::get(url).await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.text().await.unwrap())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// The values of every `href="…"` and `src="…"` in a page.
fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            found.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    found
}

/// A page: 200, HTML, its policy, no other origin named anywhere in it, and every
/// link on this server answering 200. Its links.
async fn page(server: &TestServer, path: &str) -> (String, Vec<String>) {
    let (status, headers, html) = get(&format!("{}{path}", server.url)).await;
    assert_eq!(status, 200, "{path}: {html}");
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&headers, "content-security-policy"), CSP, "{path}");
    for other in ["http:", "https:", "//", "<script>", "<style>", " style="] {
        assert!(
            !html.contains(other),
            "{path} names another origin or inlines code ({other:?}):\n{html}"
        );
    }
    let links = links(&html);
    for link in &links {
        if link == "data:," {
            continue; // the empty favicon: no request at all
        }
        assert!(link.starts_with('/'), "{path} links {link:?}");
        let (status, ..) = get(&format!("{}{link}", server.url)).await;
        assert_eq!(status, 200, "{path} links {link}");
    }
    (html, links)
}

#[tokio::test]
async fn pages_name_only_this_server_and_every_family() {
    let server = TestServer::start().await;
    let families: Vec<&str> = crm_api::contract::document_names().collect();
    assert_eq!(families.len(), 4, "{families:?}");

    let (home, home_links) = page(&server, "/").await;
    assert!(home.contains("spec-first CRM intake service"), "{home}");
    let (_, index_links) = page(&server, "/docs").await;
    assert!(home_links.contains(&"/docs".to_owned()), "{home_links:?}");
    for family in &families {
        let reference = format!("/docs/{family}");
        let document = format!("/openapi/{family}.yaml");
        for links in [&home_links, &index_links] {
            assert!(links.contains(&reference), "{reference}: {links:?}");
            assert!(links.contains(&document), "{document}: {links:?}");
        }
        let (html, links) = page(&server, &reference).await;
        // Swagger UI loads the document the page names, from this server.
        assert!(
            html.contains(&format!(
                "<div id=\"swagger-ui\" data-document=\"{document}\"></div>"
            )),
            "{html}"
        );
        for script in ["/assets/swagger-ui-bundle.js", "/assets/docs.js"] {
            assert!(links.contains(&script.to_owned()), "{reference}: {links:?}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn assets_are_the_embedded_swagger_ui_and_ours() {
    let server = TestServer::start().await;
    let cases = [
        (
            "swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
            "SwaggerUIBundle",
        ),
        ("swagger-ui.css", "text/css; charset=utf-8", ".swagger-ui"),
        (
            "docs.js",
            "text/javascript; charset=utf-8",
            "validatorUrl: null",
        ),
        ("docs.css", "text/css; charset=utf-8", ".crm-nav"),
        (
            "swagger-ui-LICENSE.txt",
            "text/plain; charset=utf-8",
            "Apache License",
        ),
        (
            "swagger-ui-NOTICE.txt",
            "text/plain; charset=utf-8",
            "swagger-ui",
        ),
    ];
    for (file, want_type, contains) in cases {
        let (status, headers, body) = get(&format!("{}/assets/{file}", server.url)).await;
        let content_type = header(&headers, "content-type");
        assert_eq!((status, content_type), (200, want_type), "{file}");
        assert!(body.contains(contains), "{file} lacks {contains:?}");
    }
    // Ours start Swagger UI and style the chrome with no URL of another origin.
    for file in ["docs.js", "docs.css"] {
        let (_, _, body) = get(&format!("{}/assets/{file}", server.url)).await;
        assert!(!body.contains("http") && !body.contains("://"), "{file}");
    }
    server.stop().await;
}

#[tokio::test]
async fn unknown_pages_and_assets_are_the_routers_404() {
    let server = TestServer::start().await;
    for path in [
        "/docs/nope",
        "/docs/SALESMAP",
        "/docs/salesmap.yaml",
        "/docs/known-gaps",
        "/docs/salesmap/more",
        "/assets/nope.js",
        "/assets/index.html",
        "/assets/swagger-initializer.js",
        "/assets/..%2fCargo.toml",
        "/assets/",
    ] {
        let response = reqwest::get(format!("{}{path}", server.url)).await.unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
        let mut body: Value = response.json().await.unwrap();
        body.as_object_mut().unwrap().remove("request_id");
        assert_eq!(body, json!({"message": "Not Found"}), "{path}");
    }
    server.stop().await;
}

#[test]
fn the_pages_are_not_in_the_emitted_documents() {
    let emitted = crm_api::contract::dropshot_document().unwrap();
    let paths: Vec<&String> = emitted["paths"].as_object().unwrap().keys().collect();
    for path in &paths {
        assert!(
            !(*path == "/" || path.starts_with("/docs") || path.starts_with("/assets")),
            "{path} is published: {paths:?}"
        );
    }
    assert_eq!(paths.len(), 5, "the five creates only: {paths:?}");
}
