//! The element sequences of a published XSD: which children an element has, in which
//! order, and which may repeat. A world file names a form's values by the contract's
//! element names in whatever order a person writes them; this is how they are put in
//! the order the contract's strict reader expects, from the schema itself rather
//! than from a second copy of it.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::xml::{self, Element};

const XS: &str = "http://www.w3.org/2001/XMLSchema";

/// What an element holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Text.
    Leaf,
    /// Child elements, in this order.
    Children(Vec<Child>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    pub name: String,
    pub content: Content,
    /// `maxOccurs` above 1.
    pub repeated: bool,
}

/// The elements that a schema's named types declare, by name, each with its content
/// to the leaves. A name declared by several types (`partner`, in a form's rubrics
/// and its subsidies) keeps the first type's in name order; the elements looked up
/// here (`formB`, `statement`) are declared once, and their descendants are reached
/// through their own `Child` tree.
#[derive(Debug, Default)]
pub struct Schema {
    elements: HashMap<String, Content>,
}

impl Schema {
    /// Reads `xsd`'s named complex types and the elements declared with them or with
    /// an anonymous one.
    pub fn read(xsd: &str) -> Result<Schema, String> {
        let root = xml::parse(xsd.as_bytes()).map_err(|e| e.to_string())?;
        let named: HashMap<&str, &Element> = root
            .children
            .iter()
            .filter(|c| c.is(XS, "complexType"))
            .filter_map(|c| Some((c.attribute(None, "name")?, c)))
            .collect();
        let mut types: Vec<(&str, &Element)> = named.iter().map(|(n, t)| (*n, *t)).collect();
        types.sort_by_key(|(n, _)| *n);
        let mut schema = Schema::default();
        for (_, ty) in types {
            for child in sequence(ty, &named, 0) {
                schema.elements.entry(child.name).or_insert(child.content);
            }
        }
        Ok(schema)
    }

    /// What the element `name` holds, if the schema declares it.
    pub fn element(&self, name: &str) -> Option<&Content> {
        self.elements.get(name)
    }
}

/// The children of a complex type's sequence; types nest a few levels at most, and
/// the depth bound keeps a recursive schema from looping.
fn sequence(ty: &Element, named: &HashMap<&str, &Element>, depth: usize) -> Vec<Child> {
    let Some(seq) = ty.children.iter().find(|c| c.is(XS, "sequence")) else {
        return Vec::new();
    };
    seq.children
        .iter()
        .filter(|c| c.is(XS, "element"))
        .filter_map(|el| {
            let name = el.attribute(None, "name")?.to_owned();
            let repeated = el
                .attribute(None, "maxOccurs")
                .is_some_and(|m| m == "unbounded" || m.parse::<u32>().is_ok_and(|n| n > 1));
            let inline = el.children.iter().find(|c| c.is(XS, "complexType"));
            let referenced = el
                .attribute(None, "type")
                .map(|t| t.rsplit(':').next().unwrap_or(t))
                .and_then(|t| named.get(t).copied());
            let content = match inline.or(referenced) {
                Some(ty) if depth < 8 => Content::Children(sequence(ty, named, depth + 1)),
                _ => Content::Leaf,
            };
            Some(Child {
                name,
                content,
                repeated,
            })
        })
        .collect()
}

/// PcsaDecisionService's schema, read once.
pub fn pcsa_decision() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        // The schema is part of the binary and read by a test: it always reads.
        Schema::read(include_str!("../../schemas/PcsaDecisionV1.xsd")).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_children_come_in_the_schemas_order() {
        let schema = Schema::read(include_str!("../../schemas/PcsaDecisionV1.xsd"))
            .unwrap_or_else(|e| panic!("{e}"));
        let Some(Content::Children(b)) = schema.element("formB") else {
            panic!("no formB");
        };
        let names: Vec<&str> = b.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names[..4], ["pcsa", "ssin", "kind", "entryDate"]);
        let duration = b.iter().find(|c| c.name == "duration");
        let Some(Content::Children(parts)) = duration.map(|d| &d.content) else {
            panic!("duration has no children");
        };
        let parts: Vec<&str> = parts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(parts, ["months", "weeks", "days"]);
        // An anonymous type (rubric 42's cohabitants) is read too.
        assert!(
            matches!(schema.element("cohabitants"), Some(Content::Children(c)) if c.len() == 3)
        );
        let Some(Content::Children(statement)) = schema.element("statement") else {
            panic!("no statement");
        };
        assert!(statement.iter().any(|c| c.name == "payment" && c.repeated));
        assert_eq!(schema.element("ssin"), Some(&Content::Leaf));
    }
}
