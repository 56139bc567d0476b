//! What a bundle implies: the order of its items, the materials and form fields it asks for once, and what it saves.

use std::collections::BTreeMap;

use crate::Catalog;
use crate::model::{Bundle, BundleReduction, Field, MaterialNeed};

impl Bundle {
    /// The direct prerequisites of a member item (empty if none).
    pub fn prerequisites_of(&self, item: &str) -> &[String] {
        self.prerequisites
            .get(item)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The member items in an order that respects prerequisites: repeatedly the first item, in
    /// declaration order, whose prerequisites are all placed. Stable and deterministic.
    pub fn topo_order(&self) -> Vec<String> {
        let mut placed: Vec<String> = Vec::with_capacity(self.items.len());
        let mut left: Vec<&String> = self.items.iter().collect();
        while !left.is_empty() {
            let ready = left.iter().position(|i| {
                self.prerequisites_of(i)
                    .iter()
                    .all(|p| placed.contains(p) || !self.items.contains(p))
            });
            // A validated catalog has no cycles; should one slip through, keep declaration order.
            let next = left.remove(ready.unwrap_or(0));
            placed.push(next.clone());
        }
        placed
    }

    /// The materials the member items need, each once, in order of first use (members in
    /// declaration order, each item's materials in its order).
    pub fn materials(&self, catalog: &Catalog) -> Vec<MaterialNeed> {
        let mut needs: Vec<MaterialNeed> = Vec::new();
        for code in &self.items {
            let Some(item) = catalog.item(code) else {
                continue;
            };
            for m in &item.materials {
                match needs.iter_mut().find(|n| &n.material == m) {
                    Some(n) => n.needed_by.push(code.clone()),
                    None => needs.push(MaterialNeed {
                        material: m.clone(),
                        needed_by: vec![code.clone()],
                        issued_in_bundle_by: None,
                    }),
                }
            }
        }
        for need in &mut needs {
            let record = catalog
                .material(&need.material)
                .and_then(|m| m.satisfied_by.as_deref());
            let Some(record) = record else { continue };
            need.issued_in_bundle_by = self
                .items
                .iter()
                .filter(|i| !need.needed_by.contains(i))
                .find(|i| {
                    catalog
                        .item(i)
                        .is_some_and(|it| it.outputs.iter().any(|o| o == record))
                })
                .cloned();
        }
        needs
    }

    /// The application form: the bundle's own fields, then each member item's, each key once.
    pub fn form_fields(&self, catalog: &Catalog) -> Vec<Field> {
        let mut out: Vec<Field> = self.fields.clone();
        for code in &self.items {
            let Some(item) = catalog.item(code) else {
                continue;
            };
            for f in &item.fields {
                if !out.iter().any(|o| o.key == f.key) {
                    out.push(f.clone());
                }
            }
        }
        out
    }

    /// The departments of the member items, each once, in item order.
    pub fn departments(&self, catalog: &Catalog) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for code in &self.items {
            if let Some(item) = catalog.item(code)
                && !out.contains(&item.department)
            {
                out.push(item.department.clone());
            }
        }
        out
    }

    /// What applying through the bundle saves against applying for each item alone.
    pub fn reduction(&self, catalog: &Catalog) -> BundleReduction {
        let members: Vec<_> = self.items.iter().filter_map(|i| catalog.item(i)).collect();
        let needs = self.materials(catalog);
        let to_upload = needs
            .iter()
            .filter(|n| {
                catalog
                    .material(&n.material)
                    .is_none_or(|m| m.satisfied_by.is_none())
            })
            .count();
        // Longest chain of promised days through the prerequisites.
        let mut finish: BTreeMap<String, u32> = BTreeMap::new();
        for code in self.topo_order() {
            let own = catalog.item(&code).map_or(0, |i| i.promised_days);
            let before = self
                .prerequisites_of(&code)
                .iter()
                .filter_map(|p| finish.get(p))
                .max()
                .copied()
                .unwrap_or(0);
            finish.insert(code, before + own);
        }
        BundleReduction {
            items: members.len(),
            materials_item_by_item: members.iter().map(|i| i.materials.len()).sum(),
            materials_distinct: needs.len(),
            materials_to_upload: to_upload,
            visits_item_by_item: members.iter().map(|i| i.visits).sum(),
            days_item_by_item: members.iter().map(|i| i.promised_days).sum(),
            days_in_bundle: finish.values().max().copied().unwrap_or(0),
        }
    }
}
