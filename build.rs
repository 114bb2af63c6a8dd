//! Embeds the hand-written OpenAPI documents (`openapi/*.yaml`) in the binary, so the
//! server serves exactly what reviewers read. The build fails, naming the file and
//! the problem, when a document is not OpenAPI 3.0.x.

use std::fmt::Write as _;
use std::path::Path;

/// Not an OpenAPI document: the contract check's reviewed list of gaps.
const NOT_DOCUMENTS: &[&str] = &["known-gaps.yaml"];

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| !NOT_DOCUMENTS.iter().any(|n| p.ends_with(n)))
        .collect();
    entries.sort();

    let mut out = String::from("/// The OpenAPI documents of `openapi/`, by file name.\n");
    out.push_str("pub static SPECS: &[(&str, &str)] = &[\n");
    for path in &entries {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        if let Err(problem) = check(&text) {
            // A panic message is what cargo shows for a failing build script.
            panic!("\n\nopenapi/{name} is not a valid OpenAPI 3.0.x document: {problem}\n\n");
        }
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("specs.rs");
    std::fs::write(dest, out).expect("writing specs.rs");
}

fn check(text: &str) -> Result<(), String> {
    let doc: openapiv3::OpenAPI = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    if !doc.openapi.starts_with("3.0.") {
        return Err(format!(
            "`openapi: {}`: only 3.0.x is accepted (progenitor rejects 3.1, dropshot emits 3.0.3)",
            doc.openapi
        ));
    }
    for (path, item) in doc.paths.iter() {
        if let openapiv3::ReferenceOr::Item(item) = item {
            for (method, op) in item.iter() {
                if op.operation_id.is_none() {
                    return Err(format!(
                        "{} {path} has no operationId",
                        method.to_uppercase()
                    ));
                }
            }
        }
    }
    Ok(())
}
