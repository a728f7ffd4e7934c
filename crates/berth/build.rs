//! Builds the web UI (`web/`, a Vite + React app) and stages it in `$OUT_DIR/ui`, which
//! `src/http/ui.rs` embeds into the binary.
//!
//! The Rust build never fails because of the UI: without Node/npm (or when the npm build
//! fails) a small page saying what to install is embedded instead, and Cargo prints a warning.
//! `BERTH_SKIP_WEB_BUILD=1` skips npm for fast Rust-only builds (an existing `web/dist` is
//! still embedded). npm runs only when the web sources are newer than `web/dist`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// What `npm run build` reads; a change to any of them rebuilds the UI.
const INPUTS: [&str; 7] = [
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
];

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let web = manifest.join("../../web");
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default()).join("ui");
    for input in INPUTS {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    println!("cargo:rerun-if-env-changed=BERTH_SKIP_WEB_BUILD");

    let dist = web.join("dist");
    let skip = env::var("BERTH_SKIP_WEB_BUILD").is_ok_and(|v| !v.is_empty() && v != "0");
    let built = if skip {
        if dist.join("index.html").is_file() {
            Ok(())
        } else {
            Err("the build was skipped (BERTH_SKIP_WEB_BUILD is set)".to_owned())
        }
    } else if is_fresh(&web, &dist) {
        Ok(())
    } else {
        build(&web)
    };

    let _ = fs::remove_dir_all(&out);
    if let Err(e) = fs::create_dir_all(&out) {
        panic!("cannot create {}: {e}", out.display());
    }
    match built.and_then(|()| copy_dir(&dist, &out).map_err(|e| format!("copying web/dist: {e}"))) {
        Ok(()) => {}
        Err(reason) => {
            println!(
                "cargo:warning=the web UI was not built: {reason}; serving a page that says so"
            );
            let page = FALLBACK.replace("{reason}", &html_escape(&reason));
            if let Err(e) = fs::write(out.join("index.html"), page) {
                panic!("cannot write the fallback page: {e}");
            }
        }
    }
}

/// `web/dist` exists and is newer than every input.
fn is_fresh(web: &Path, dist: &Path) -> bool {
    let Ok(built) = fs::metadata(dist.join("index.html")).and_then(|m| m.modified()) else {
        return false;
    };
    INPUTS
        .iter()
        .filter_map(|i| newest(&web.join(i)))
        .all(|t| t <= built)
}

fn newest(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    let mut t = meta.modified().ok()?;
    if meta.is_dir() {
        for entry in fs::read_dir(path).ok()?.flatten() {
            if let Some(child) = newest(&entry.path()) {
                t = t.max(child);
            }
        }
    }
    Some(t)
}

fn build(web: &Path) -> Result<(), String> {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|_| "Node.js is not installed".to_owned())?;
    let version = String::from_utf8_lossy(&node.stdout).trim().to_owned();
    let mut parts = version
        .trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    // Vite 7 needs Node 20.19 or later
    if (major, minor) < (20, 19) {
        return Err(format!(
            "Node.js {version} is too old (20.19 or later is needed)"
        ));
    }
    if !web.join("node_modules").is_dir() {
        // `ci`, not `install`: it installs exactly the lock file and never rewrites it (the lock
        // lists every platform's optional natives, so it serves any machine)
        run(web, &["ci", "--no-audit", "--no-fund"])?;
    }
    run(web, &["run", "build"])
}

fn run(web: &Path, args: &[&str]) -> Result<(), String> {
    let status = Command::new("npm")
        .args(args)
        .current_dir(web)
        // the e2e tests drive the system's Chromium; never download one
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status()
        .map_err(|_| "npm is not installed".to_owned())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`npm {}` failed ({status})", args.join(" ")))
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const FALLBACK: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Berth: the web UI was not built</title>
<style>body{font:15px/1.6 system-ui,sans-serif;max-width:640px;margin:10vh auto;padding:0 20px;color:#111}
code,pre{background:#f1f3f6;border-radius:6px;padding:2px 6px}pre{padding:12px;overflow:auto}
@media (prefers-color-scheme: dark){body{background:#0b1020;color:#e6e9f0}code,pre{background:#1a2337}}</style></head>
<body><h1>The web UI was not built</h1>
<p>This <code>berth</code> binary was compiled without its web interface: {reason}.</p>
<p>Install <b>Node.js 20 (20.19 or later) and npm</b>, then build Berth again:</p>
<pre>cargo build --release -p berth</pre>
<p>The API works regardless: see <a href="/api/docs">/api/docs</a>.</p></body></html>
"#;
