//! The demo catalog of Fuyang district, embedded from the repository's `catalog/` directory.

use include_dir::{Dir, include_dir};

use crate::Source;

static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../catalog");

/// Every embedded `*.toml` file, sorted by path, named `catalog/<path>`.
pub(crate) fn sources() -> Vec<Source> {
    let mut out = Vec::new();
    collect(&DEMO, &mut out);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn collect(dir: &Dir<'static>, out: &mut Vec<Source>) {
    for f in dir.files() {
        let path = f.path();
        if path.extension().is_some_and(|e| e == "toml")
            && let Some(text) = f.contents_utf8()
        {
            out.push(Source {
                name: format!("catalog/{}", path.display()),
                text: text.to_owned(),
            });
        }
    }
    for d in dir.dirs() {
        collect(d, out);
    }
}
