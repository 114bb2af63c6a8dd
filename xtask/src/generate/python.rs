//! The Python that `cargo xtask generate` writes: openapi-python-client's package
//! for each document, `clients/python/crm-<name>-client/` (module
//! `crm_<name>_client`), each installable with `pip install`. The generator (and
//! the ruff it formats with) is pinned by `clients/python/requirements.txt` and
//! installed into `clients/python/.venv` when missing.

use super::{run_tool, Generated};
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python clients and their tools, under the project root.
pub const DIR: &str = "clients/python";

/// The directory of one document's package, relative to the project root.
pub fn package_dir(name: &str) -> PathBuf {
    PathBuf::from(format!("{DIR}/crm-{name}-client"))
}

/// The project's virtual environment with the pinned generator and test tools,
/// made (`python3 -m venv`, `pip install -r requirements.txt`) when missing.
pub fn venv(root: &Path) -> anyhow::Result<PathBuf> {
    let venv = root.join(DIR).join(".venv");
    let requirements = root.join(DIR).join("requirements.txt");
    if !venv.join("bin/openapi-python-client").exists() {
        println!("installing openapi-python-client and pytest: a venv in {DIR}/.venv");
        run_tool(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "python3 -m venv (Python 3.11 is needed for the Python clients)",
        )?;
        run_tool(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(&requirements),
            "pip install -r clients/python/requirements.txt",
        )?;
    }
    Ok(venv)
}

pub fn generate(root: &Path) -> anyhow::Result<Generated> {
    let venv = venv(root)?;
    let bin = venv.join("bin");
    // Its post-hooks run `ruff` from PATH: the pinned one, from the venv.
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))?;
    let scratch = tempfile::tempdir()?;
    let mut out = Generated::default();
    for (name, document) in crate::documents(root)? {
        let package = package_dir(&name);
        let project = package.file_name().context("a package directory")?;
        let config = scratch.path().join(format!("{name}.yaml"));
        std::fs::write(
            &config,
            format!(
                "project_name_override: crm-{name}-client\npackage_name_override: crm_{name}_client\n"
            ),
        )?;
        let target = scratch.path().join(project);
        let output = Command::new(bin.join("openapi-python-client"))
            .arg("generate")
            .arg("--path")
            .arg(&document)
            .args(["--meta", "pdm", "--config"])
            .arg(&config)
            .arg("--output-path")
            .arg(&target)
            .env("PATH", &path)
            // ruff would leave its cache among the generated files.
            .env("RUFF_NO_CACHE", "true")
            .current_dir(root)
            .output()
            .context("running openapi-python-client")?;
        let (said, warned) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        anyhow::ensure!(
            output.status.success() && target.is_dir(),
            "openapi-python-client on openapi/{name}.yaml failed ({}):\n{said}{warned}",
            output.status,
        );
        for line in warned
            .lines()
            .filter(|l| l.starts_with("Unsupported content type"))
        {
            out.notes.push(format!(
                "openapi/{name}.yaml: the Python client skips a media type ({line})"
            ));
        }
        for file in super::files_under(scratch.path(), Path::new(project))? {
            let code = std::fs::read_to_string(scratch.path().join(&file))
                .with_context(|| format!("reading generated {}", file.display()))?;
            let relative = file.strip_prefix(project)?;
            out.files.insert(package.join(relative), code);
        }
        out.owned_dirs.push(package);
    }
    Ok(out)
}
