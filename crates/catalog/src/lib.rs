//! The service catalog (departments, items, materials, workflows, bundles) loaded from TOML and validated.
//!
//! A catalog is a directory of TOML files, each holding any of the arrays `[[department]]`,
//! `[[record_type]]`, `[[material]]`, `[[workflow]]`, `[[item]]` and `[[bundle]]`. Loading checks
//! every rule and reports every problem at once, each with its file, line, column and field, in
//! Chinese and English. The demo catalog of Fuyang district is embedded (`Catalog::demo`).
//!
//! Defaults and conventions worth knowing when writing catalog files:
//! - codes: departments, items and bundles `[a-z0-9-]`; record types, materials and form keys
//!   `[a-z0-9_]`; workflows, states and actions `[a-z0-9_-]`; at most 64 characters;
//! - optional keys: `record_type.validity_days` (absent or 0: never expires), `material.satisfied_by`,
//!   `material.reusable` (false), `state.time_limit_days`, `state.pauses_clock` (false),
//!   `state.outcome` (terminal states only), `action.requires_comment` (false), `item.outputs`
//!   (none), `item.fee` (yuan as a string such as "12.50", or an integer; default 0),
//!   `bundle.on_reject` (`continue`), `bundle.description`, `field.required` (true),
//!   `field.reuse` (false), `field.max_len` (200 for text, 2000 for long_text);
//! - `item.online` is required: whether the item can be done fully online is never left implicit;
//! - states and actions may be written as `[[workflow.state]]` tables or as inline arrays.
//!
//! References are checked only when every file parses: a file with a syntax error would make
//! everything it defines look missing.

mod bundle;
mod demo;
mod error;
mod model;
mod raw;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::{CatalogError, CatalogErrors, Source};
pub use model::{
    Action, Bundle, BundleReduction, CatalogStats, Choice, Department, Duty, Field, FieldKind, Item,
    LifeStage, Material, MaterialNeed, Outcome, RecordType, RejectPolicy, Role, ServiceLevel,
    State, Subject, UnknownCode, Workflow,
};

/// A validated catalog. Every reference in it resolves.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    departments: BTreeMap<String, Department>,
    record_types: BTreeMap<String, RecordType>,
    materials: BTreeMap<String, Material>,
    workflows: BTreeMap<String, Workflow>,
    items: BTreeMap<String, Item>,
    bundles: BTreeMap<String, Bundle>,
}

/// How deep `load_dir` descends (guards against symlink loops).
const MAX_DEPTH: usize = 16;

impl Catalog {
    /// Loads every `*.toml` file under `path` (recursively, sorted by path), or the one file `path`.
    ///
    /// Files that cannot be read become errors with line 0.
    pub fn load_dir(path: &Path) -> Result<Catalog, CatalogErrors> {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        let shown = path.display().to_string();
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => files.push(path.to_path_buf()),
            Ok(_) => collect_toml(path, 0, &mut files, &mut errors),
            Err(e) => errors.push(io_error(&shown, &e)),
        }
        files.sort();
        if files.is_empty() && errors.is_empty() {
            errors.push(CatalogError {
                file: shown,
                line: 0,
                column: 0,
                field: String::new(),
                message_zh: "目录下没有任何 .toml 文件".into(),
                message_en: "the directory holds no .toml catalog file".into(),
            });
        }
        let mut sources = Vec::new();
        for f in files {
            let name = f.display().to_string();
            match std::fs::read(&f) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => sources.push(Source { name, text }),
                    Err(_) => errors.push(CatalogError {
                        file: name,
                        line: 0,
                        column: 0,
                        field: String::new(),
                        message_zh: "文件不是有效的 UTF-8 文本".into(),
                        message_en: "the file is not valid UTF-8".into(),
                    }),
                },
                Err(e) => errors.push(io_error(&name, &e)),
            }
        }
        match Catalog::from_sources(&sources) {
            Ok(c) if errors.is_empty() => Ok(c),
            Ok(_) => Err(CatalogErrors(errors)),
            Err(CatalogErrors(more)) => {
                errors.extend(more);
                Err(CatalogErrors(errors))
            }
        }
    }

    /// Loads a catalog from sources, in the order given.
    pub fn from_sources(sources: &[Source]) -> Result<Catalog, CatalogErrors> {
        let mut d = error::Diag::default();
        let mut raw = raw::Raw::default();
        for s in sources {
            let file = d.add_file(&s.name, &s.text);
            raw::read_file(&mut d, &mut raw, file, &s.text);
        }
        let catalog = validate::check(&mut d, &raw);
        let errors = d.finish();
        match catalog {
            Some(c) if errors.is_empty() => Ok(c),
            _ if errors.is_empty() => Err(CatalogErrors(vec![CatalogError {
                file: String::new(),
                line: 0,
                column: 0,
                field: String::new(),
                message_zh: "目录无法构建".into(),
                message_en: "the catalog could not be built".into(),
            }])),
            _ => Err(CatalogErrors(errors)),
        }
    }

    /// The embedded demo catalog (Fuyang district), or its errors.
    pub fn try_demo() -> Result<Catalog, CatalogErrors> {
        Catalog::from_sources(&demo::sources())
    }

    /// The embedded demo catalog (Fuyang district).
    ///
    /// # Panics
    /// Only if the embedded files are invalid, which the crate's tests rule out
    /// (`demo_catalog_loads_without_errors`); use `try_demo` to get the errors instead.
    #[allow(clippy::expect_used)]
    pub fn demo() -> Catalog {
        Catalog::try_demo()
            .expect("the embedded demo catalog is valid (checked by the catalog tests)")
    }

    /// The embedded demo catalog's files, sorted by path, named `catalog/<path>`.
    pub fn demo_sources() -> Vec<Source> {
        demo::sources()
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.get(code)
    }

    pub fn record_type(&self, code: &str) -> Option<&RecordType> {
        self.record_types.get(code)
    }

    pub fn material(&self, code: &str) -> Option<&Material> {
        self.materials.get(code)
    }

    pub fn workflow(&self, code: &str) -> Option<&Workflow> {
        self.workflows.get(code)
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.get(code)
    }

    pub fn bundle(&self, code: &str) -> Option<&Bundle> {
        self.bundles.get(code)
    }

    /// All departments, by code.
    pub fn departments(&self) -> impl Iterator<Item = &Department> {
        self.departments.values()
    }

    /// All record types, by code.
    pub fn record_types(&self) -> impl Iterator<Item = &RecordType> {
        self.record_types.values()
    }

    /// All materials, by code.
    pub fn materials(&self) -> impl Iterator<Item = &Material> {
        self.materials.values()
    }

    /// All workflows, by code.
    pub fn workflows(&self) -> impl Iterator<Item = &Workflow> {
        self.workflows.values()
    }

    /// All items, by code.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.values()
    }

    /// All bundles, by code.
    pub fn bundles(&self) -> impl Iterator<Item = &Bundle> {
        self.bundles.values()
    }

    /// The bundles of a life or enterprise stage, by code.
    pub fn bundles_in_stage(&self, stage: LifeStage) -> impl Iterator<Item = &Bundle> {
        self.bundles.values().filter(move |b| b.stage == stage)
    }

    /// The items a department handles, by code.
    pub fn items_of_department(&self, dept: &str) -> impl Iterator<Item = &Item> {
        self.items.values().filter(move |i| i.department == dept)
    }

    /// The items whose approval issues a record of this type, by code.
    pub fn item_outputs_record(&self, record_type: &str) -> impl Iterator<Item = &Item> {
        self.items
            .values()
            .filter(move |i| i.outputs.iter().any(|o| o == record_type))
    }

    /// The bundles an item belongs to, by code.
    pub fn bundles_with_item(&self, item: &str) -> impl Iterator<Item = &Bundle> {
        self.bundles
            .values()
            .filter(move |b| b.items.iter().any(|i| i == item))
    }

    /// Counts per kind, bundles per stage and the summed reductions of all bundles.
    pub fn stats(&self) -> CatalogStats {
        let mut reduction = BundleReduction::default();
        for b in self.bundles.values() {
            let r = b.reduction(self);
            reduction.items += r.items;
            reduction.materials_item_by_item += r.materials_item_by_item;
            reduction.materials_distinct += r.materials_distinct;
            reduction.materials_to_upload += r.materials_to_upload;
            reduction.visits_item_by_item += r.visits_item_by_item;
            reduction.days_item_by_item += r.days_item_by_item;
            reduction.days_in_bundle += r.days_in_bundle;
        }
        CatalogStats {
            departments: self.departments.len(),
            record_types: self.record_types.len(),
            materials: self.materials.len(),
            workflows: self.workflows.len(),
            items: self.items.len(),
            bundles: self.bundles.len(),
            bundles_per_stage: LifeStage::ALL
                .iter()
                .map(|s| (*s, self.bundles_in_stage(*s).count()))
                .collect(),
            reduction,
        }
    }
}

fn io_error(name: &str, e: &std::io::Error) -> CatalogError {
    CatalogError {
        file: name.to_owned(),
        line: 0,
        column: 0,
        field: String::new(),
        message_zh: format!("无法读取：{e}"),
        message_en: format!("cannot read: {e}"),
    }
}

fn collect_toml(
    dir: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<CatalogError>,
) {
    if depth > MAX_DEPTH {
        errors.push(CatalogError {
            file: dir.display().to_string(),
            line: 0,
            column: 0,
            field: String::new(),
            message_zh: format!("目录嵌套超过 {MAX_DEPTH} 层"),
            message_en: format!("directories nested deeper than {MAX_DEPTH} levels"),
        });
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(io_error(&dir.display().to_string(), &e));
            return;
        }
    };
    for entry in entries {
        let path = match entry {
            Ok(e) => e.path(),
            Err(e) => {
                errors.push(io_error(&dir.display().to_string(), &e));
                continue;
            }
        };
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => collect_toml(&path, depth + 1, files, errors),
            Ok(m) if m.is_file() && path.extension().is_some_and(|e| e == "toml") => {
                files.push(path)
            }
            Ok(_) => {}
            Err(e) => errors.push(io_error(&path.display().to_string(), &e)),
        }
    }
}
