//! Embeds Swagger UI for `/docs`: the files the pages load, taken at build time from
//! the release archive that the `utoipa-swagger-ui-vendored` crate carries (from
//! crates.io, pinned in the workspace manifest and `Cargo.lock`), so a clean build
//! needs nothing beyond crates.io and the binary needs no file at run time.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;

/// The release the pinned crate carries. A bump of the crate that changes it fails
/// here, so a new Swagger UI is looked at (and the browser tests run) on purpose.
const VERSION: &str = "5.32.6";

/// What the pages load, and the license that comes with it: (path in the archive
/// below its top folder, name served under `/assets/`).
const FILES: &[(&str, &str)] = &[
    ("dist/swagger-ui-bundle.js", "swagger-ui-bundle.js"),
    ("dist/swagger-ui.css", "swagger-ui.css"),
    ("LICENSE", "swagger-ui-LICENSE.txt"),
    ("NOTICE", "swagger-ui-NOTICE.txt"),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let dir = Path::new(&out).join("swagger-ui");
    std::fs::create_dir_all(&dir).expect("creating OUT_DIR/swagger-ui");
    let bytes = utoipa_swagger_ui_vendored::SWAGGER_UI_VENDORED;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("\n\nthe vendored Swagger UI archive cannot be read: {e}\n\n"));

    let mut table = format!(
        "/// The Swagger UI release embedded for `/docs`.\n\
         pub const SWAGGER_UI_VERSION: &str = {VERSION:?};\n\
         /// Swagger UI's files, by the name they are served under.\n\
         pub static SWAGGER_UI_FILES: &[(&str, &[u8])] = &[\n"
    );
    for (inside, served) in FILES {
        let name = format!("swagger-ui-{VERSION}/{inside}");
        let mut file = archive.by_name(&name).unwrap_or_else(|e| {
            panic!("\n\nthe vendored Swagger UI archive has no {name} ({e}): is it still {VERSION}?\n\n")
        });
        let mut content = Vec::new();
        file.read_to_end(&mut content)
            .unwrap_or_else(|e| panic!("\n\nreading {name} from the vendored archive: {e}\n\n"));
        let path = dir.join(served);
        std::fs::write(&path, content).expect("writing an extracted Swagger UI file");
        writeln!(
            table,
            "    ({served:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    table.push_str("];\n");
    std::fs::write(Path::new(&out).join("swagger_ui.rs"), table).expect("writing swagger_ui.rs");
}
