//! The pages a person reads: `GET /` (what this server is), `/docs` (the families)
//! and `/docs/<family>` (an interactive reference: Swagger UI, embedded at build
//! time by `server/build.rs`, rendering the very document served at
//! `/openapi/<file>`), and their files under `/assets/`.
//!
//! Nothing is fetched from another origin: the pages link only to this server, and
//! each carries a Content-Security-Policy that lets the browser load and call
//! nothing else (so "try it out" talks to the server that served the page). The
//! pages are rendered once, at start, from the embedded documents.

use crate::context::Specs;
use anyhow::Context as _;
use bytes::Bytes;
use dropshot::{Body, HttpError};
use std::fmt::Write as _;

include!(concat!(env!("OUT_DIR"), "/swagger_ui.rs"));

/// Our own files beside Swagger UI's: what starts it on a page, and the page chrome.
const OWN_FILES: &[(&str, &[u8])] = &[
    ("docs.js", include_bytes!("docs.js")),
    ("docs.css", include_bytes!("docs.css")),
];

/// Every page's policy: its scripts, styles, images, fonts and requests come from
/// this server (Swagger UI sets inline styles; its icons are `data:` URIs).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The rendered pages.
pub struct Site {
    home: Bytes,
    index: Bytes,
    /// (family, its page)
    families: Vec<(String, Bytes)>,
}

/// What the index says of a family, read from its document.
struct Family {
    /// The document's file name without `.yaml`: the family's tag.
    name: String,
    file: String,
    title: String,
    version: String,
    operations: Vec<Operation>,
}

struct Operation {
    method: String,
    path: String,
    id: String,
    summary: String,
}

impl Site {
    /// Renders every page from the embedded documents.
    pub fn new(specs: Specs) -> anyhow::Result<Site> {
        let families = specs
            .iter()
            .map(|(file, text)| Family::read(file, text))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Site {
            home: home(&families).into(),
            index: index(&families).into(),
            families: families
                .iter()
                .map(|f| (f.name.clone(), reference(f).into()))
                .collect(),
        })
    }

    pub fn home(&self) -> Result<http::Response<Body>, HttpError> {
        html(&self.home)
    }

    pub fn index(&self) -> Result<http::Response<Body>, HttpError> {
        html(&self.index)
    }

    /// A family's reference; an unknown family is the router's 404.
    pub fn family(&self, name: &str) -> Result<http::Response<Body>, HttpError> {
        let (_, page) = self
            .families
            .iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| HttpError::for_not_found(None, format!("no family named {name:?}")))?;
        html(page)
    }
}

/// A file under `/assets/`; any other name is the router's 404.
pub fn asset(name: &str) -> Result<http::Response<Body>, HttpError> {
    let (_, bytes) = SWAGGER_UI_FILES
        .iter()
        .chain(OWN_FILES)
        .find(|(n, _)| *n == name)
        .ok_or_else(|| HttpError::for_not_found(None, format!("no asset named {name:?}")))?;
    let content_type = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    respond(content_type, Bytes::from_static(bytes))
}

fn html(page: &Bytes) -> Result<http::Response<Body>, HttpError> {
    respond("text/html; charset=utf-8", page.clone())
}

fn respond(content_type: &str, body: Bytes) -> Result<http::Response<Body>, HttpError> {
    http::Response::builder()
        .header(http::header::CONTENT_TYPE, content_type)
        .header(
            http::header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        )
        .header(http::header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::from(body))
        .map_err(|e| HttpError::for_internal_error(e.to_string()))
}

impl Family {
    fn read(file: &str, text: &str) -> anyhow::Result<Family> {
        let doc: openapiv3::OpenAPI =
            serde_yaml::from_str(text).with_context(|| format!("reading openapi/{file}"))?;
        let name = file.strip_suffix(".yaml").unwrap_or(file).to_owned();
        let mut operations = Vec::new();
        for (path, item) in doc.paths.iter() {
            let Some(item) = item.as_item() else { continue };
            for (method, op) in item.iter() {
                operations.push(Operation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    id: op.operation_id.clone().unwrap_or_default(),
                    summary: op.summary.clone().unwrap_or_default(),
                });
            }
        }
        Ok(Family {
            file: file.to_owned(),
            title: doc.info.title,
            version: doc.info.version,
            name,
            operations,
        })
    }

    fn reference_link(&self) -> String {
        format!(
            r#"<a href="/docs/{}">{}</a>"#,
            escape(&self.name),
            escape(&self.title)
        )
    }

    fn document_link(&self) -> String {
        format!(
            r#"<a href="/openapi/{0}"><code>{0}</code></a>"#,
            escape(&self.file)
        )
    }
}

fn home(families: &[Family]) -> String {
    let mut body = String::from(
        "<h1>crm</h1>\n<p>A spec-first CRM intake service: one server that implements, \
         faithfully, the <em>create</em> endpoints of several CRM vendors' public APIs, on \
         one shared store. Each vendor family is described by a hand-written OpenAPI \
         document, the source of truth, which this server serves unchanged.</p>\n\
         <ul>\n<li><a href=\"/docs\">API reference</a>: one page per family, to read each \
         operation and try it against this server.</li>\n",
    );
    for family in families {
        let _ = writeln!(
            body,
            "<li>{} {}: reference, and its document {}</li>",
            family.reference_link(),
            escape(&family.version),
            family.document_link()
        );
    }
    body.push_str("</ul>\n");
    page("crm", "", &body, false)
}

fn index(families: &[Family]) -> String {
    let mut body = format!(
        "<h1>API reference</h1>\n<p>One page per vendor family, rendered by Swagger UI {} \
         in your browser from the document this server serves. To try an operation, \
         <em>Authorize</em> with a workspace token: <code>crm admin token create</code> \
         prints one, and so does <code>crm serve</code> on an empty database.</p>\n\
         <table>\n<thead><tr><th>family</th><th>version</th><th>operations</th>\
         <th>document</th></tr></thead>\n<tbody>\n",
        SWAGGER_UI_VERSION
    );
    for family in families {
        let operations: Vec<String> = family
            .operations
            .iter()
            .map(|op| {
                format!(
                    "<code>{} {}</code> {} <code>{}</code>",
                    escape(&op.method),
                    escape(&op.path),
                    escape(&op.summary),
                    escape(&op.id)
                )
            })
            .collect();
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            family.reference_link(),
            escape(&family.version),
            operations.join("<br>"),
            family.document_link()
        );
    }
    body.push_str("</tbody>\n</table>\n");
    page("API reference · crm", "API reference", &body, false)
}

fn reference(family: &Family) -> String {
    let body = format!(
        "<div id=\"swagger-ui\" data-document=\"/openapi/{}\"></div>\n\
         <noscript>This reference needs JavaScript; the document itself is {}.</noscript>\n",
        escape(&family.file),
        family.document_link()
    );
    let title = format!("{} {} · crm", family.title, family.version);
    let crumb = format!(
        "<a href=\"/docs\">API reference</a> · {} · {}",
        escape(&family.title),
        family.document_link()
    );
    page(&title, &crumb, &body, true)
}

/// The frame of every page: head, a line of links back (`crumb`, after the link
/// home), the body, the credits;
/// with `swagger`, what a reference page loads to run Swagger UI.
fn page(title: &str, crumb: &str, body: &str, swagger: bool) -> String {
    let crumb = match crumb {
        "" => String::new(),
        more => format!(" · {more}"),
    };
    let (styles, scripts) = if swagger {
        (
            "<link rel=\"stylesheet\" href=\"/assets/swagger-ui.css\">\n",
            "<script src=\"/assets/swagger-ui-bundle.js\"></script>\n\
             <script src=\"/assets/docs.js\"></script>\n",
        )
    } else {
        ("", "")
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"icon\" href=\"data:,\">\n{styles}\
         <link rel=\"stylesheet\" href=\"/assets/docs.css\">\n</head>\n<body>\n\
         <nav class=\"crm-nav\"><a href=\"/\">crm</a>{crumb}</nav>\n<main>\n{body}</main>\n\
         <footer class=\"crm-footer\">Everything on these pages comes from this server: \
         nothing is loaded from elsewhere. The references are rendered by Swagger UI \
         {version} (<a href=\"/assets/swagger-ui-LICENSE.txt\">Apache-2.0</a>, \
         <a href=\"/assets/swagger-ui-NOTICE.txt\">notice</a>), embedded in the \
         binary.</footer>\n{scripts}</body>\n</html>\n",
        title = escape(title),
        version = SWAGGER_UI_VERSION,
    )
}

/// Text made safe inside HTML elements and quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_elements_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_reference_loads_its_document_under_an_escaped_title() {
        let family = Family {
            name: "x".into(),
            file: "x.yaml".into(),
            title: "X <api>".into(),
            version: "1.0.0".into(),
            operations: vec![],
        };
        let page = reference(&family);
        assert!(
            page.contains("<title>X &lt;api&gt; 1.0.0 · crm</title>"),
            "{page}"
        );
        assert!(
            page.contains(r#"data-document="/openapi/x.yaml""#),
            "{page}"
        );
    }
}
