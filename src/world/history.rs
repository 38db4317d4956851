//! What a register holds beyond its reference data, in world files: the decision
//! history as forms B, C and D, monthly statements of payments, and subscriptions.
//!
//! A form is written with the contract's element names (those of PcsaDecisionService's
//! `formB`, `formC`, `formD`), in any order, nested tables for nested elements; its
//! `pcsa` is the CBE number of a PCSA of the world or the register, and `registeredAt`
//! (optional) says when the register accepted it. The values are put in the schema's
//! order and read by the service's own reader, and the forms are judged by the
//! register's rules, in the order written, in the transaction that writes the world:
//! a world can never hold a form the service would refuse.

use std::borrow::Cow;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::domain::Pcsa;
use crate::domain::decision::{Form, FormError};
use crate::wire::common::InvalidField;
use crate::wire::pcsa_decision_v1::read_form;
use crate::wire::schema::{self, Content};
use crate::wire::xml::Element;

/// A value as written, with its place in the file.
#[derive(Debug, Clone)]
pub struct Node {
    pub span: Range<usize>,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub enum Value {
    Table(Vec<(String, Node)>),
    Array(Vec<Node>),
    Scalar(String),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Table(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, n)| n),
            _ => None,
        }
    }

    /// The node at a path of the form (`duration/months`), or the deepest one found on
    /// the way (a missing value is reported where its table is).
    pub fn at(&self, path: &str) -> &Node {
        let mut node = self;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            match node.get(part) {
                Some(next) => node = next,
                None => break,
            }
        }
        node
    }

    fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self.value {
            Value::Table(_) => "a table",
            Value::Array(_) => "an array",
            Value::Scalar(_) => "a value",
        }
    }
}

fn node(value: &toml::Spanned<DeValue<'_>>) -> Node {
    let span = value.span();
    let value = match value.get_ref() {
        DeValue::String(s) => Value::Scalar(s.to_string()),
        DeValue::Integer(i) => Value::Scalar(
            i64::from_str_radix(i.as_str(), i.radix())
                .map_or_else(|_| i.to_string(), |n| n.to_string()),
        ),
        DeValue::Float(f) => Value::Scalar(f.as_str().to_owned()),
        DeValue::Boolean(b) => Value::Scalar(b.to_string()),
        DeValue::Datetime(d) => Value::Scalar(d.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(node).collect()),
        DeValue::Table(t) => Value::Table(
            t.iter()
                .map(|(k, v)| (k.get_ref().to_string(), node(v)))
                .collect(),
        ),
    };
    Node { span, value }
}

/// A form as written: its element (`formB`), its place among the file's forms of that
/// letter, and its values.
#[derive(Debug, Clone)]
pub struct Draft {
    pub element: &'static str,
    pub index: usize,
    pub node: Node,
}

impl Draft {
    /// Where it is, as a problem names it: `formB[2]`.
    pub fn at(&self) -> String {
        format!("{}[{}]", self.element, self.index)
    }

    /// A field of it, as a problem names it: `formB[2].duration.months`.
    pub fn field(&self, path: &str) -> String {
        let path = path
            .trim_start_matches(self.element)
            .trim_start_matches('/');
        if path.is_empty() {
            self.at()
        } else {
            format!("{}.{}", self.at(), path.replace('/', "."))
        }
    }
}

/// The forms of a world file's text, in the order written: the history is judged in
/// that order. `Err` is a position and a reason (the text was read as TOML already,
/// so this does not happen in practice).
pub fn drafts(text: &str) -> Result<Vec<Draft>, (usize, String)> {
    let table = DeTable::parse(text)
        .map_err(|e| (e.span().map_or(0, |s| s.start), e.message().to_owned()))?;
    let mut drafts = Vec::new();
    for (key, value) in table.get_ref().iter() {
        let element = match key.get_ref().as_ref() {
            "formB" => "formB",
            "formC" => "formC",
            "formD" => "formD",
            _ => continue,
        };
        if let DeValue::Array(items) = value.get_ref() {
            for (index, item) in items.iter().enumerate() {
                drafts.push(Draft {
                    element,
                    index,
                    node: node(item),
                });
            }
        }
    }
    drafts.sort_by_key(|d| d.node.span.start);
    Ok(drafts)
}

/// A problem of a draft: where, which field (a path of the form), why.
pub struct DraftProblem {
    pub span: Range<usize>,
    pub path: String,
    pub reason: String,
}

/// What reading a draft gave: the form, or its problems.
pub enum Read {
    Form {
        form: Form,
        registered_at_ms: Option<i64>,
    },
    Problems(Vec<DraftProblem>),
}

/// Reads a draft as PcsaDecisionService reads the form: `pcsa` names the sender by
/// its CBE number (`find` gives the PCSA, from the world or the register).
pub fn read(draft: &Draft, find: &mut dyn FnMut(&str) -> Result<Pcsa, String>) -> Read {
    let mut problems = Vec::new();
    let Value::Table(entries) = &draft.node.value else {
        return Read::Problems(vec![DraftProblem {
            span: draft.node.span.clone(),
            path: String::new(),
            reason: "a form is a table".into(),
        }]);
    };
    let mut registered_at_ms = None;
    // A PCSA that is not known is said once, not again as a missing element.
    let mut unknown_pcsa = false;
    let mut values = Vec::new();
    for (key, value) in entries {
        match key.as_str() {
            "registeredAt" => match value.scalar().map(crate::clock::parse_instant) {
                Some(Ok(ms)) => registered_at_ms = Some(ms),
                Some(Err(e)) => problems.push(problem(value, key, e.to_string())),
                None => problems.push(problem(value, key, "expected an instant".into())),
            },
            "pcsa" => match value.scalar().map(&mut *find) {
                Some(Ok(pcsa)) => {
                    let leaf = |text: String| Node {
                        span: value.span.clone(),
                        value: Value::Scalar(text),
                    };
                    let table = Value::Table(vec![
                        ("name".into(), leaf(pcsa.name.clone())),
                        ("insCode".into(), leaf(pcsa.ins.as_str().to_owned())),
                        ("cbeNumber".into(), leaf(pcsa.cbe.to_string())),
                    ]);
                    values.push((
                        key.clone(),
                        Node {
                            span: value.span.clone(),
                            value: table,
                        },
                    ));
                }
                Some(Err(reason)) => {
                    unknown_pcsa = true;
                    problems.push(problem(value, key, reason));
                }
                None => {
                    unknown_pcsa = true;
                    problems.push(problem(
                        value,
                        key,
                        "expected the CBE number of the PCSA".into(),
                    ));
                }
            },
            _ => values.push((key.clone(), value.clone())),
        }
    }
    let node = Node {
        span: draft.node.span.clone(),
        value: Value::Table(values),
    };
    let content = schema::pcsa_decision().element(draft.element);
    let element = match content {
        Some(content) => element(draft.element, content, &node, "", &mut problems),
        None => None,
    };
    // A key out of place is reported with what the reader says of the rest.
    let Some(element) = element else {
        if problems.is_empty() {
            problems.push(DraftProblem {
                span: node.span.clone(),
                path: String::new(),
                reason: format!("{} is not in the contract's schema", draft.element),
            });
        }
        return Read::Problems(problems);
    };
    match read_form(&element) {
        Ok(Ok(form)) if problems.is_empty() => Read::Form {
            form,
            registered_at_ms,
        },
        Ok(Ok(_)) => Read::Problems(problems),
        Ok(Err(errors)) => {
            problems.extend(errors.iter().map(|e| form_problem(&node, e)));
            Read::Problems(problems)
        }
        Err(invalid) => {
            let about_pcsa = invalid
                .path
                .trim_start_matches(draft.element)
                .trim_start_matches('/')
                .starts_with("pcsa");
            if !(unknown_pcsa && about_pcsa) {
                problems.push(invalid_problem(draft, &node, &invalid));
            }
            Read::Problems(problems)
        }
    }
}

fn problem(node: &Node, path: &str, reason: String) -> DraftProblem {
    DraftProblem {
        span: node.span.clone(),
        path: path.to_owned(),
        reason,
    }
}

/// A rubric the reader or the register refused, where it is written.
pub fn form_problem(node: &Node, e: &FormError) -> DraftProblem {
    DraftProblem {
        span: node.at(e.field).span.clone(),
        path: e.field.to_owned(),
        reason: format!("{} (rule {})", e.message, e.code),
    }
}

fn invalid_problem(draft: &Draft, node: &Node, invalid: &InvalidField) -> DraftProblem {
    let path = invalid
        .path
        .trim_start_matches(draft.element)
        .trim_start_matches('/')
        .to_owned();
    DraftProblem {
        span: node.at(&path).span.clone(),
        path,
        reason: invalid.reason.clone(),
    }
}

/// The element `name` with `node`'s values in the schema's order.
fn element(
    name: &str,
    content: &Content,
    node: &Node,
    path: &str,
    problems: &mut Vec<DraftProblem>,
) -> Option<Element<'static>> {
    // The form's own element is the root of paths: its children are `ssin`, not
    // `formB/ssin`.
    let child_path = if path.is_empty() && name.starts_with("form") {
        String::new()
    } else {
        join(path, name)
    };
    let made = |children, text: String| Element {
        ns: None,
        local: Cow::Owned(name.to_owned()),
        attributes: Vec::new(),
        children,
        text: Cow::Owned(text),
    };
    match (content, &node.value) {
        (Content::Leaf, Value::Scalar(text)) => Some(made(Vec::new(), text.clone())),
        (Content::Children(children), Value::Table(entries)) => {
            for (key, value) in entries {
                if !children.iter().any(|c| &c.name == key) {
                    let names: Vec<&str> = children.iter().map(|c| c.name.as_str()).collect();
                    let at = if child_path.is_empty() {
                        key.clone()
                    } else {
                        format!("{child_path}/{key}")
                    };
                    problems.push(problem(
                        value,
                        &at,
                        format!("not a field here: expected one of {}", names.join(", ")),
                    ));
                }
            }
            let mut out = Vec::new();
            for child in children {
                let Some(value) = node.get(&child.name) else {
                    continue;
                };
                match (&value.value, child.repeated) {
                    (Value::Array(items), true) => {
                        for item in items {
                            out.extend(element(
                                &child.name,
                                &child.content,
                                item,
                                &child_path,
                                problems,
                            ));
                        }
                    }
                    (Value::Array(_), false) => problems.push(problem(
                        value,
                        &join(&child_path, &child.name),
                        "expected one value, not an array".into(),
                    )),
                    _ => out.extend(element(
                        &child.name,
                        &child.content,
                        value,
                        &child_path,
                        problems,
                    )),
                }
            }
            Some(made(out, String::new()))
        }
        (Content::Leaf, _) => {
            problems.push(problem(
                node,
                &join(path, name),
                format!("expected a value, not {}", node.kind()),
            ));
            None
        }
        (Content::Children(_), _) => {
            problems.push(problem(
                node,
                &join(path, name),
                format!("expected a table, not {}", node.kind()),
            ));
            None
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}/{name}")
    }
}

/// When the register accepted a form of the world that does not say: three days after
/// its decision (a D: after the period it recovers), at 10:00 UTC, and never after
/// `now_ms`.
pub fn default_registered_at(form: &Form, now_ms: i64) -> i64 {
    let decided = match form {
        Form::B(b) => b.decision_date,
        Form::C(c) => c.decision_date,
        Form::D(d) => d.period_end,
    };
    ((i64::from(decided.days_since_epoch()) + 3) * 86_400_000 + 10 * 3_600_000).min(now_ms)
}
