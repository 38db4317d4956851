//! A namespace-aware reading of a request into a small element tree, and a minimal
//! writer. Requests are small (the body limit caps them) and their payloads are read
//! field by field with precise errors, so one pass into a tree is both the simplest and
//! the strictest shape: every element keeps the namespace URI it resolved to, whatever
//! prefix the client chose.

use std::borrow::Cow;
use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use thiserror::Error;

/// Documents nest a handful of levels; anything deeper is an attack, not a request.
const MAX_DEPTH: usize = 32;
/// Bounds the tree a single request can make us build.
pub const MAX_ELEMENTS: usize = 4096;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("the message is not UTF-8 encoded text")]
    NotUtf8,
    #[error("only UTF-8 is accepted, the XML declaration says {0:?}")]
    Encoding(String),
    #[error("DOCTYPE and entity declarations are not allowed in a SOAP message")]
    Doctype,
    #[error("processing instructions are not allowed in a SOAP message")]
    ProcessingInstruction,
    #[error("character U+{0:04X} is not allowed in XML")]
    ForbiddenCharacter(u32),
    #[error("the entity reference &{0}; is not defined")]
    UnknownEntity(String),
    #[error("the prefix {0:?} is not bound to a namespace")]
    UnboundPrefix(String),
    #[error("the document nests deeper than {MAX_DEPTH} elements")]
    TooDeep,
    #[error("the document has more than {0} elements")]
    TooManyElements(usize),
    #[error("malformed XML: the document is empty")]
    Empty,
    #[error("malformed XML: text outside the root element")]
    TextOutsideRoot,
    #[error("malformed XML at byte {position}: {message}")]
    Malformed { position: u64, message: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    pub ns: Option<Arc<str>>,
    pub local: String,
    pub value: String,
}

/// One element: its namespace URI (None = no namespace), local name, attributes,
/// children, and the character data directly inside it. The namespace is shared with
/// the declaration it resolved to (a request's elements are in two or three); the
/// name and text borrow from the document unless reading changed them (references
/// resolved, CDATA joined, line ends normalised), so reading a request allocates
/// little more than the tree's nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element<'a> {
    pub ns: Option<Arc<str>>,
    pub local: Cow<'a, str>,
    pub attributes: Vec<Attribute>,
    pub children: Vec<Element<'a>>,
    pub text: Cow<'a, str>,
}

impl Element<'_> {
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.local == local
    }

    /// `{namespace}local`, the unambiguous way to name an element in a message.
    pub fn expanded_name(&self) -> String {
        match &self.ns {
            Some(ns) => format!("{{{ns}}}{}", self.local),
            None => self.local.clone().into_owned(),
        }
    }

    pub fn attribute(&self, ns: Option<&str>, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.ns.as_deref() == ns && a.local == local)
            .map(|a| a.value.as_str())
    }
}

/// The XML 1.0 `Char` production: what a document may contain at all.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Refuses text (or a name) holding a character XML forbids: echoed, it would make
/// the answer not XML at all.
fn check_chars(text: &str) -> Result<(), XmlError> {
    // Nearly every name and value is printable ASCII: a byte test suffices.
    if text
        .bytes()
        .all(|b| (0x20..0x80).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
    {
        return Ok(());
    }
    match text.chars().find(|c| !is_xml_char(*c)) {
        Some(c) => Err(XmlError::ForbiddenCharacter(u32::from(c))),
        None => Ok(()),
    }
}

/// The namespace every document has bound to the `xml` prefix.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// The namespace declarations in scope. A request declares two or three, so a list
/// searched from the innermost is faster than quick-xml's general resolver (which
/// had cost as much as tokenizing the envelope).
#[derive(Default)]
struct Scopes {
    /// (depth of the declaring element, prefix ("" for the default namespace), URI
    /// (None where `xmlns=""` undeclares the default)).
    bindings: Vec<(usize, String, Option<Arc<str>>)>,
}

impl Scopes {
    /// The namespace of a name with `prefix` ("" for none); unprefixed attributes
    /// take no default namespace.
    fn resolve(&self, prefix: &str, attribute: bool) -> Result<Option<Arc<str>>, XmlError> {
        if prefix.is_empty() && attribute {
            return Ok(None);
        }
        if prefix == "xml" {
            return Ok(Some(Arc::from(XML_NS)));
        }
        match self.bindings.iter().rev().find(|(_, p, _)| p == prefix) {
            Some((_, _, uri)) => Ok(uri.clone()),
            None if prefix.is_empty() => Ok(None),
            None => Err(XmlError::UnboundPrefix(prefix.to_owned())),
        }
    }

    /// Ends the scope of the element at `depth`.
    fn close(&mut self, depth: usize) {
        while self.bindings.last().is_some_and(|(d, _, _)| *d >= depth) {
            self.bindings.pop();
        }
    }
}

/// A qualified name cut into its prefix ("" for none) and local part, each an NCName
/// (Namespaces in XML 1.0): quick-xml takes a tag's name up to the first space, so
/// `<a='x'<b/>` would otherwise be an element named `a='x'<b`.
fn split_name(name: &str) -> Result<(&str, &str), String> {
    let (prefix, local) = name.split_once(':').unwrap_or(("", name));
    let prefix_ok = prefix.is_empty() && !name.starts_with(':') || is_ncname(prefix);
    if prefix_ok && is_ncname(local) {
        Ok((prefix, local))
    } else {
        Err(format!("{name:?} is not a name XML allows"))
    }
}

/// XML 1.0's `Name` production without the colon.
fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(|c| is_name_start(c) || is_name_rest(c))
}

fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_rest(c: char) -> bool {
    matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// `part` as a slice of `document` with the document's lifetime, when it lies within
/// it (quick-xml's events borrow from the text they read, but not under its lifetime);
/// a copy otherwise.
fn borrowed<'a>(document: &'a str, part: &str) -> Cow<'a, str> {
    let start = (part.as_ptr() as usize).checked_sub(document.as_ptr() as usize);
    match start.and_then(|s| document.get(s..s.checked_add(part.len())?)) {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(part.to_owned()),
    }
}

/// Adds character data to an element's text: the first piece is kept as read.
fn append_text<'a>(text: &mut Cow<'a, str>, more: Cow<'a, str>) {
    if text.is_empty() {
        *text = more;
    } else {
        text.to_mut().push_str(&more);
    }
}

fn malformed(reader: &Reader<&[u8]>, e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed {
        position: reader.error_position(),
        message: e.to_string(),
    }
}

/// Parses a whole document into its root element. Comments and the XML declaration are
/// skipped; DOCTYPE (and so any entity declaration) and processing instructions are
/// refused, as SOAP requires.
pub fn parse(bytes: &[u8]) -> Result<Element<'_>, XmlError> {
    parse_bounded(bytes, MAX_ELEMENTS)
}

/// `parse` with another bound on the number of elements, for documents that are
/// legitimately bigger than a request (a batch of notifications).
pub fn parse_bounded(bytes: &[u8], max_elements: usize) -> Result<Element<'_>, XmlError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| XmlError::NotUtf8)?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut scopes = Scopes::default();

    let mut stack: Vec<Element<'_>> = Vec::with_capacity(8);
    let mut root: Option<Element<'_>> = None;
    let mut count = 0usize;

    // The XML declaration may only open the document (XML 1.0, 2.8): not even
    // whitespace before it.
    let mut at_start = true;
    loop {
        let event = reader.read_event().map_err(|e| malformed(&reader, e))?;
        let opens_document = std::mem::replace(&mut at_start, false);
        match event {
            Event::Start(start) => {
                let element = open_element(text, &reader, &mut scopes, stack.len() + 1, &start)?;
                count += 1;
                if count > max_elements {
                    return Err(XmlError::TooManyElements(max_elements));
                }
                if root.is_some() {
                    return Err(malformed(&reader, "a second root element"));
                }
                stack.push(element);
                if stack.len() > MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
            }
            Event::Empty(start) => {
                let depth = stack.len() + 1;
                let element = open_element(text, &reader, &mut scopes, depth, &start)?;
                scopes.close(depth);
                count += 1;
                if count > max_elements {
                    return Err(XmlError::TooManyElements(max_elements));
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None if root.is_none() => root = Some(element),
                    None => return Err(malformed(&reader, "a second root element")),
                }
            }
            Event::End(_) => {
                scopes.close(stack.len());
                let Some(done) = stack.pop() else {
                    return Err(malformed(&reader, "an end tag without a start tag"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                check_chars(&content)?;
                match stack.last_mut() {
                    Some(el) => append_text(&mut el.text, content),
                    None if content.trim().is_empty() => {}
                    None => return Err(XmlError::TextOutsideRoot),
                }
            }
            Event::CData(c) => {
                let content = c.xml10_content();
                check_chars(&content)?;
                match stack.last_mut() {
                    Some(el) => append_text(&mut el.text, content),
                    None => return Err(XmlError::TextOutsideRoot),
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().map_err(|e| malformed(&reader, e))? {
                    Some(ch) => ch,
                    None => match &*r {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(XmlError::UnknownEntity(other.to_owned())),
                    },
                };
                if !is_xml_char(ch) {
                    return Err(XmlError::ForbiddenCharacter(u32::from(ch)));
                }
                match stack.last_mut() {
                    Some(el) => el.text.to_mut().push(ch),
                    None => return Err(XmlError::TextOutsideRoot),
                }
            }
            Event::Decl(_) if !opens_document => {
                return Err(malformed(
                    &reader,
                    "an XML declaration is only allowed at the start of the document",
                ));
            }
            Event::Decl(decl) => {
                if let Some(enc) = decl.encoding() {
                    let enc = enc.map_err(|e| malformed(&reader, e))?;
                    let enc = enc.into_owned();
                    if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                        return Err(XmlError::Encoding(enc));
                    }
                }
            }
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::PI(_) => return Err(XmlError::ProcessingInstruction),
            Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed(&reader, "the document ends inside an element"));
    }
    root.ok_or(XmlError::Empty)
}

/// An element's start tag: its namespace declarations enter `scopes` at `depth`, then
/// its name and attributes are resolved (declarations apply to the element's own name
/// and attributes, wherever they stand among them).
fn open_element<'a>(
    document: &'a str,
    reader: &Reader<&[u8]>,
    scopes: &mut Scopes,
    depth: usize,
    start: &BytesStart<'_>,
) -> Result<Element<'a>, XmlError> {
    let name = start.name();
    let name: &str = name.as_ref();
    check_chars(name)?;
    let mut attributes = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(reader, e))?;
        // XML 1.0's AttValue excludes a raw '<'; quick-xml does not check it.
        if attr.value.contains('<') {
            return Err(malformed(
                reader,
                "'<' is not allowed in an attribute value",
            ));
        }
        let key: &str = attr.key.as_ref();
        let value =
            attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| match e {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                    ) => XmlError::UnknownEntity(name),
                    other => malformed(reader, other),
                })?;
        check_chars(key)?;
        check_chars(&value)?;
        if key == "xmlns" {
            let uri = (!value.is_empty()).then(|| Arc::from(value.as_ref()));
            scopes.bindings.push((depth, String::new(), uri));
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            // Namespaces in XML 1.0: a prefix cannot be undeclared, nor `xmlns` bound.
            if value.is_empty()
                || prefix == "xmlns"
                || !is_ncname(prefix)
                || (prefix == "xml") != (value == XML_NS)
            {
                return Err(malformed(
                    reader,
                    format!("the declaration {key}={value:?} is not allowed"),
                ));
            }
            scopes
                .bindings
                .push((depth, prefix.to_owned(), Some(Arc::from(value.as_ref()))));
        } else {
            attributes.push(Attribute {
                ns: None,
                local: key.to_owned(),
                value: value.into_owned(),
            });
        }
    }
    for attribute in &mut attributes {
        let (prefix, local) =
            split_name(&attribute.local).map_err(|reason| malformed(reader, reason))?;
        if !prefix.is_empty() {
            let local = local.to_owned();
            attribute.ns = scopes.resolve(prefix, true)?;
            attribute.local = local;
        }
    }
    // Two prefixes bound to one namespace make two names for one attribute.
    for (i, a) in attributes.iter().enumerate() {
        if attributes[..i]
            .iter()
            .any(|b| b.ns == a.ns && b.local == a.local)
        {
            return Err(malformed(
                reader,
                format!("the attribute {:?} is given twice", a.local),
            ));
        }
    }
    let (prefix, local) = split_name(name).map_err(|reason| malformed(reader, reason))?;
    Ok(Element {
        ns: scopes.resolve(prefix, false)?,
        local: borrowed(document, local),
        attributes,
        children: Vec::new(),
        text: Cow::Borrowed(""),
    })
}

/// Appends `text` to `out` with the five XML-special characters escaped, and any
/// character XML forbids replaced by U+FFFD: whatever reaches an answer (an echoed
/// value, a name in a diagnostic) cannot make it ill-formed.
pub fn escape_into(out: &mut String, text: &str) {
    // Most values (dates, numbers, codes) are printable ASCII with nothing to escape:
    // one byte test, and they are copied whole.
    if text
        .bytes()
        .all(|b| (0x20..0x7F).contains(&b) && !matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
    {
        out.push_str(text);
        return;
    }
    let mut rest = text;
    while let Some(i) =
        rest.find(|c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || !is_xml_char(c))
    {
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().unwrap_or('\u{FFFD}');
        out.push_str(match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&apos;",
            _ => "\u{FFFD}",
        });
        rest = &rest[i + c.len_utf8()..];
    }
    out.push_str(rest);
}

/// Writes elements into a `String`. Names are static (they come from the contract);
/// only text is escaped.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    pub fn with_capacity(n: usize) -> Self {
        XmlWriter {
            out: String::with_capacity(n),
        }
    }

    pub fn raw(&mut self, s: &str) -> &mut Self {
        self.out.push_str(s);
        self
    }

    /// `<name xmlns:p="uri" ...>`
    pub fn open_ns(&mut self, name: &str, namespaces: &[(&str, &str)]) -> &mut Self {
        self.start(name, namespaces, &[]);
        self.out.push('>');
        self
    }

    /// `<name xmlns:p="uri" ... attribute="value" ...>`, values escaped.
    pub fn open_with(
        &mut self,
        name: &str,
        namespaces: &[(&str, &str)],
        attributes: &[(&str, &str)],
    ) -> &mut Self {
        self.start(name, namespaces, attributes);
        self.out.push('>');
        self
    }

    /// `<name ... attribute="value" .../>`, values escaped.
    pub fn empty_with(
        &mut self,
        name: &str,
        namespaces: &[(&str, &str)],
        attributes: &[(&str, &str)],
    ) -> &mut Self {
        self.start(name, namespaces, attributes);
        self.out.push_str("/>");
        self
    }

    fn start(&mut self, name: &str, namespaces: &[(&str, &str)], attributes: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (prefix, uri) in namespaces {
            self.out.push_str(" xmlns:");
            self.out.push_str(prefix);
            self.out.push_str("=\"");
            escape_into(&mut self.out, uri);
            self.out.push('"');
        }
        for (attribute, value) in attributes {
            self.out.push(' ');
            self.out.push_str(attribute);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value);
            self.out.push('"');
        }
    }

    /// `<prefix:local xmlns:prefix="uri">`: an answer's root element, written without
    /// building its qualified name first.
    pub fn open_root(&mut self, prefix: &str, local: &str, uri: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(prefix);
        self.out.push(':');
        self.out.push_str(local);
        self.out.push_str(" xmlns:");
        self.out.push_str(prefix);
        self.out.push_str("=\"");
        escape_into(&mut self.out, uri);
        self.out.push_str("\">");
        self
    }

    pub fn close_root(&mut self, prefix: &str, local: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(prefix);
        self.out.push(':');
        self.out.push_str(local);
        self.out.push('>');
        self
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        escape_into(&mut self.out, text);
        self.close(name)
    }

    /// Escaped text inside the element being written.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.out, text);
        self
    }

    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(name, t);
        }
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(s: &str) -> Element<'_> {
        match parse(s.as_bytes()) {
            Ok(e) => e,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn elements_carry_the_namespace_uri_whatever_the_prefix() {
        let a = parse_ok(r#"<a:x xmlns:a="urn:n"><y>1</y></a:x>"#);
        let b = parse_ok(r#"<x xmlns="urn:n"><y xmlns="">1</y></x>"#);
        let c = parse_ok(
            r#"<?xml version="1.0" encoding="UTF-8"?><!-- c --><q:x xmlns:q="urn:n"><!-- c --><y>1</y></q:x>"#,
        );
        for e in [&a, &b, &c] {
            assert!(e.is("urn:n", "x"));
            assert_eq!(e.children.len(), 1);
            assert_eq!(e.children[0].ns, None);
            assert_eq!(e.children[0].text, "1");
        }
        // A default namespace qualifies children too.
        let d = parse_ok(r#"<x xmlns="urn:n"><y>1</y></x>"#);
        assert_eq!(d.children[0].ns.as_deref(), Some("urn:n"));
    }

    #[test]
    fn a_declaration_holds_for_its_element_and_descendants_only() {
        // An inner redeclaration, on a start tag and on an empty element, ends with it.
        let e = parse_ok(
            r#"<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"><p:c/></p:b><p:d xmlns:p="urn:3"/><p:e/></p:a>"#,
        );
        let ns: Vec<Option<&str>> = std::iter::once(&e)
            .chain(e.children.iter())
            .chain(e.children[0].children.iter())
            .map(|el| el.ns.as_deref())
            .collect();
        assert_eq!(
            ns,
            [
                Some("urn:1"),
                Some("urn:2"),
                Some("urn:3"),
                Some("urn:1"),
                Some("urn:2")
            ]
        );
        // A declaration after an attribute still qualifies it; an unprefixed attribute
        // takes no namespace; `xml` is always bound.
        let e = parse_ok(r#"<x q:m="1" n="2" xml:lang="fr" xmlns:q="urn:q" xmlns="urn:d"/>"#);
        assert!(e.is("urn:d", "x"));
        assert_eq!(e.attribute(Some("urn:q"), "m"), Some("1"));
        assert_eq!(e.attribute(None, "n"), Some("2"));
        assert_eq!(
            e.attribute(Some("http://www.w3.org/XML/1998/namespace"), "lang"),
            Some("fr")
        );
        // Out of its scope a prefix is unbound, and some declarations are not allowed.
        assert_eq!(
            parse(br#"<a><b xmlns:p="urn:1"/><p:c/></a>"#),
            Err(XmlError::UnboundPrefix("p".into()))
        );
        for bad in [
            r#"<x xmlns:p=""/>"#,
            r#"<x xmlns:xmlns="urn:1"/>"#,
            r#"<x xmlns:xml="urn:1"/>"#,
        ] {
            assert!(
                matches!(parse(bad.as_bytes()), Err(XmlError::Malformed { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn references_and_cdata_become_text() {
        let e = parse_ok("<x>a&amp;b&#x41;&#66;<![CDATA[<c>]]></x>");
        assert_eq!(e.text, "a&bAB<c>");
        // Plain names and text are read in place, not copied.
        let e = parse_ok("<p:x xmlns:p='urn:n'><y>plain</y></p:x>");
        assert!(matches!(e.local, Cow::Borrowed("x")), "{:?}", e.local);
        assert!(matches!(e.children[0].text, Cow::Borrowed("plain")));
    }

    #[test]
    fn hostile_or_broken_documents_are_refused_with_their_reason() {
        assert_eq!(
            parse(br#"<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>"#),
            Err(XmlError::Doctype)
        );
        assert_eq!(
            parse(b"<x>&e;</x>"),
            Err(XmlError::UnknownEntity("e".into()))
        );
        assert_eq!(parse(b"<?pi x?><x/>"), Err(XmlError::ProcessingInstruction));
        assert_eq!(parse(b"<p:x/>"), Err(XmlError::UnboundPrefix("p".into())));
        assert_eq!(parse(b""), Err(XmlError::Empty));
        assert_eq!(parse(b"\xff\xfe<x/>"), Err(XmlError::NotUtf8));
        assert_eq!(
            parse(br#"<?xml version="1.0" encoding="ISO-8859-1"?><x/>"#),
            Err(XmlError::Encoding("ISO-8859-1".into()))
        );
        assert!(matches!(
            parse(b"<x><y></x>"),
            Err(XmlError::Malformed { .. })
        ));
        assert!(matches!(
            parse(b"<x/><y/>"),
            Err(XmlError::Malformed { .. })
        ));
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert_eq!(parse(deep.as_bytes()), Err(XmlError::TooDeep));
    }

    #[test]
    fn names_are_qualified_names_of_name_characters() {
        for document in [
            "<:x='urrp>/'<ex:r/>",
            "<a='x'<b/>",
            "<:x/>",
            "<x:/>",
            "<a:b:c xmlns:a='urn:a'/>",
            "<1a/>",
            "<a-b c!d='v'/>",
            "<x 1y='v'/>",
            "<x xmlns:1p='urn:p'/>",
            "<x xmlns:a='urn:n' xmlns:b='urn:n' a:y='1' b:y='2'/>",
        ] {
            assert!(
                matches!(parse(document.as_bytes()), Err(XmlError::Malformed { .. })),
                "{document}: {:?}",
                parse(document.as_bytes())
            );
        }
        for document in [
            "<a-b.c_d xmlns='urn:n'/>",
            "<p:x xmlns:p='urn:n' p:é·1='v'/>",
            "<日本 xml:lang='ja'/>",
            "<x xmlns:a='urn:a' xmlns:b='urn:b' a:y='1' b:y='2'/>",
        ] {
            assert!(parse(document.as_bytes()).is_ok(), "{document}");
        }
    }

    #[test]
    fn characters_xml_forbids_are_refused_on_input_and_replaced_on_output() {
        assert_eq!(
            parse(b"<x>a&#1;b</x>"),
            Err(XmlError::ForbiddenCharacter(1))
        );
        assert_eq!(
            parse("<x>a&#xFFFE;</x>".as_bytes()),
            Err(XmlError::ForbiddenCharacter(0xFFFE))
        );
        assert_eq!(
            parse(b"<x>a\x01b</x>"),
            Err(XmlError::ForbiddenCharacter(1))
        );
        assert_eq!(
            parse(b"<x a='\x02'/>"),
            Err(XmlError::ForbiddenCharacter(2))
        );
        assert!(parse(b"<x>tab\tnew\nline</x>").is_ok());
        let mut out = String::new();
        escape_into(&mut out, "a\u{1}b\u{FFFF}c&\u{10000}");
        assert_eq!(out, "a\u{FFFD}b\u{FFFD}c&amp;\u{10000}");
    }

    #[test]
    fn the_writer_escapes_text() {
        let mut w = XmlWriter::default();
        w.open_ns("p:x", &[("p", "urn:n")])
            .leaf("y", "a<b&'\"")
            .close("p:x");
        assert_eq!(
            w.finish(),
            r#"<p:x xmlns:p="urn:n"><y>a&lt;b&amp;&apos;&quot;</y></p:x>"#
        );
    }
}
