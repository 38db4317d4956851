//! The monthly statements of the SPP IS (NOVAPRIMA, seed 003): one payment per line,
//! 20 fixed-width fields, 157 characters. The note gives each field's length in order
//! and no separators, so each field starts where the previous one ends.
//!
//! Reading checks every field and reports each problem with the field's name (the
//! note's), its columns and the reason; writing gives back exactly the line read.

use crate::domain::decision::ErrorCode;
use crate::domain::{Amount, AmountType, Date, InsCode, Law, Month, PaymentLine, Ssin};

/// The fields in order: name as in the note, width in characters.
pub const FIELDS: [(&str, usize); 20] = [
    ("Loi", 1),
    ("CPAS", 5),
    ("Année-mois", 6),
    ("Dossier", 11),
    ("Suffixe", 2),
    ("NNISS", 11),
    ("Référence", 12),
    ("Type montant", 1),
    ("DPAY1STDAY", 8),
    ("DPAYLSTDAY", 8),
    ("Article budgétaire", 6),
    ("Signe", 1),
    ("Montant 100%", 8),
    ("Catégorie", 1),
    ("Nom", 30),
    ("Prénom", 20),
    ("Personne concernée", 2),
    ("Référence2", 15),
    ("Signe payé", 1),
    ("Montant payé", 8),
];

pub const LINE_LENGTH: usize = 157;

/// Largest amount a field of 8 digits holds, in cents.
const MAX_CENTS: i64 = 99_999_999;

/// A problem with one field of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub code: ErrorCode,
    pub field: &'static str,
    pub reason: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match columns(self.field) {
            Some((from, to)) if from == to => {
                write!(f, "field {} (column {from}): {}", self.field, self.reason)
            }
            Some((from, to)) => {
                write!(
                    f,
                    "field {} (columns {from}–{to}): {}",
                    self.field, self.reason
                )
            }
            None => write!(f, "{}: {}", self.field, self.reason),
        }
    }
}

/// The 1-based columns of a field.
pub fn columns(field: &str) -> Option<(usize, usize)> {
    let mut start = 1;
    for (name, width) in FIELDS {
        if name == field {
            return Some((start, start + width - 1));
        }
        start += width;
    }
    None
}

/// Reads one line (without its line ending).
pub fn parse_line(line: &str) -> Result<PaymentLine, Vec<FieldError>> {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() != LINE_LENGTH {
        return Err(vec![FieldError {
            code: ErrorCode::Invalid,
            field: "line",
            reason: format!(
                "has {} characters, a statement line has {LINE_LENGTH}",
                chars.len()
            ),
        }]);
    }
    let mut fields: Vec<String> = Vec::with_capacity(FIELDS.len());
    let mut at = 0;
    for (_, width) in FIELDS {
        fields.push(chars[at..at + width].iter().collect());
        at += width;
    }
    let mut r = Reader::default();
    let f = |i: usize| fields[i].as_str();
    let law = r.field(FIELDS[0].0, f(0), |t| {
        t.chars().next().and_then(Law::from_code).ok_or_else(|| {
            "expected 1 (integration income), 2 (law of 1965) or 6 (organic law)".into()
        })
    });
    let ins = r.field(FIELDS[1].0, f(1), |t| {
        InsCode::parse(t).map_err(|e| e.to_string())
    });
    let statement = r.field(FIELDS[2].0, f(2), |t| {
        Month::parse_compact(t).map_err(|e| e.to_string())
    });
    let file_number = r.text(FIELDS[3].0, f(3));
    let suffix = r.text(FIELDS[4].0, f(4));
    let ssin = r.field(FIELDS[5].0, f(5), |t| {
        Ssin::parse(t).map_err(|e| e.to_string())
    });
    let reference = r.text(FIELDS[6].0, f(6));
    let amount_type = r.field(FIELDS[7].0, f(7), |t| {
        t.chars()
            .next()
            .and_then(AmountType::from_code)
            .ok_or_else(|| "expected a code from 1 to 6".into())
    });
    let first_day = r.field(FIELDS[8].0, f(8), compact_date);
    let last_day = r.field(FIELDS[9].0, f(9), compact_date);
    let budget_article = r.text(FIELDS[10].0, f(10));
    let article = r.field(FIELDS[10].0, f(10), |t| {
        let n = t.trim();
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err("expected the article's number".into());
        }
        n.parse::<u16>()
            .map_err(|_| "expected the article's number".into())
    });
    let amount = r.signed(FIELDS[11].0, f(11), FIELDS[12].0, f(12));
    let category = f(13).chars().next();
    let last_name = r.text(FIELDS[14].0, f(14));
    let first_name = r.text(FIELDS[15].0, f(15));
    let concerned = r.text(FIELDS[16].0, f(16));
    let reference2 = r.text(FIELDS[17].0, f(17));
    let paid = r.signed(FIELDS[18].0, f(18), FIELDS[19].0, f(19));
    let line = (|| {
        Some(PaymentLine {
            law: law?,
            ins: ins?,
            statement: statement?,
            file_number: file_number?,
            suffix: suffix?,
            ssin: ssin?,
            reference: reference?,
            amount_type: amount_type?,
            first_day: first_day?,
            last_day: last_day?,
            budget_article: budget_article?,
            article: article?,
            amount: amount?,
            category: category.filter(|c| !c.is_control())?,
            last_name: last_name?,
            first_name: first_name?,
            concerned: concerned?,
            reference2: reference2?,
            paid: paid?,
        })
    })();
    let mut errors = r.errors;
    match line {
        Some(line) if errors.is_empty() => {
            errors.extend(
                line.check()
                    .into_iter()
                    .map(|(code, field, reason)| FieldError {
                        code,
                        field,
                        reason,
                    }),
            );
            if errors.is_empty() {
                Ok(line)
            } else {
                Err(errors)
            }
        }
        _ => {
            if category.is_none_or(char::is_control) {
                errors.push(FieldError {
                    code: ErrorCode::Invalid,
                    field: FIELDS[13].0,
                    reason: "a control character".into(),
                });
            }
            Err(errors)
        }
    }
}

/// Writes a line (without line ending).
pub fn write_line(line: &PaymentLine, out: &mut String) {
    use std::fmt::Write;
    let signed = |a: Amount| {
        let sign = if a.cents() < 0 { '-' } else { '+' };
        format!("{sign}{:08}", a.cents().unsigned_abs())
    };
    let date = |d: Date| {
        let (y, m, dd) = d.ymd();
        format!("{y:04}{m:02}{dd:02}")
    };
    let _ = write!(
        out,
        "{}{}{}{}{}{}{}{}{}{}{}{}{}{}{}{}{}{}",
        line.law.code(),
        line.ins.as_str(),
        line.statement.compact(),
        line.file_number,
        line.suffix,
        line.ssin.as_str(),
        line.reference,
        line.amount_type.code(),
        date(line.first_day),
        date(line.last_day),
        line.budget_article,
        signed(line.amount),
        line.category,
        line.last_name,
        line.first_name,
        line.concerned,
        line.reference2,
        signed(line.paid),
    );
}

/// A text of at most `width` characters, padded with spaces on the right to exactly
/// `width`, as the fixed-width fields hold it.
pub fn pad(text: &str, width: usize) -> Result<String, String> {
    let n = text.chars().count();
    if n > width {
        return Err(format!("has {n} characters, at most {width} fit"));
    }
    if text.chars().any(char::is_control) {
        return Err("contains a control character".into());
    }
    let mut s = text.to_owned();
    s.extend(std::iter::repeat_n(' ', width - n));
    Ok(s)
}

/// An amount as the 8 digits of cents of a statement hold it.
pub fn fits(amount: Amount) -> bool {
    amount.cents().abs() <= MAX_CENTS
}

fn compact_date(t: &str) -> Result<Date, String> {
    let bad = || "expected a date YYYYMMDD".to_owned();
    if t.len() != 8 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n = |r: std::ops::Range<usize>| t[r].parse::<u32>().unwrap_or(0);
    let year = i32::try_from(n(0..4)).map_err(|_| bad())?;
    Date::from_ymd(year, n(4..6), n(6..8)).map_err(|e| e.to_string())
}

#[derive(Default)]
struct Reader {
    errors: Vec<FieldError>,
}

impl Reader {
    fn field<T>(
        &mut self,
        field: &'static str,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(text) {
            Ok(v) => Some(v),
            Err(reason) => {
                self.errors.push(FieldError {
                    code: ErrorCode::Invalid,
                    field,
                    reason: format!("{text:?}: {reason}"),
                });
                None
            }
        }
    }

    /// A free text field, kept with its padding.
    fn text(&mut self, field: &'static str, text: &str) -> Option<String> {
        self.field(field, text, |t| {
            if t.chars().any(char::is_control) {
                Err("contains a control character".into())
            } else {
                Ok(t.to_owned())
            }
        })
    }

    /// A sign field and the 8 digits of cents after it.
    fn signed(
        &mut self,
        sign_field: &'static str,
        sign: &str,
        field: &'static str,
        digits: &str,
    ) -> Option<Amount> {
        let negative = match sign {
            "+" => Some(false),
            "-" => Some(true),
            _ => {
                self.errors.push(FieldError {
                    code: ErrorCode::Invalid,
                    field: sign_field,
                    reason: format!("{sign:?}: expected + or -"),
                });
                None
            }
        };
        let cents = self.field(field, digits, |t| {
            if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse::<i64>().map_err(|e| e.to_string())
            } else {
                Err("expected 8 digits of cents".into())
            }
        })?;
        let negative = negative?;
        if negative && cents == 0 {
            self.errors.push(FieldError {
                code: ErrorCode::Invalid,
                field: sign_field,
                reason: "a zero amount is written with +".into(),
            });
            return None;
        }
        Some(Amount::from_cents(if negative { -cents } else { cents }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line built field by field, as the note lays it out.
    pub(crate) fn sample() -> String {
        [
            "1",
            "62063",
            "202503",
            "00000012345",
            "  ",
            "85073100130",
            "DOS-2025-001",
            "1",
            "20250301",
            "20250331",
            "860   ",
            "+",
            "00131420",
            "B",
            "Peeters                       ",
            "Jan                 ",
            "00",
            "BCSS-000000042 ",
            "+",
            "00078852",
        ]
        .concat()
    }

    #[test]
    fn the_layout_adds_up_to_157_characters() {
        assert_eq!(FIELDS.iter().map(|(_, w)| w).sum::<usize>(), LINE_LENGTH);
        assert_eq!(columns("Montant 100%"), Some((73, 80)));
        assert_eq!(columns("Montant payé"), Some((150, 157)));
    }

    #[test]
    fn a_line_reads_and_writes_back_identically() {
        let text = sample();
        assert_eq!(text.chars().count(), LINE_LENGTH);
        let line = parse_line(&text).unwrap();
        assert_eq!(line.amount.to_string(), "1314.20");
        assert_eq!(line.paid.to_string(), "788.52");
        assert_eq!(line.article, 860);
        let mut out = String::new();
        write_line(&line, &mut out);
        assert_eq!(out, text);
    }

    #[test]
    fn every_bad_field_is_named_with_its_columns() {
        let mut text = sample();
        text.replace_range(0..1, "3");
        text.replace_range(49..57, "20250231");
        let errors = parse_line(&text).unwrap_err();
        let named: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 2, "{named:?}");
        assert!(
            named[0].starts_with("field Loi (column 1): \"3\""),
            "{named:?}"
        );
        assert!(
            named[1].starts_with("field DPAY1STDAY (columns 50–57)"),
            "{named:?}"
        );
    }

    #[test]
    fn the_state_share_must_match_the_budget_article() {
        // The note's example: 14.60 on article 102 (60 %) is 8.76.
        let mut text = sample();
        text.replace_range(65..71, "102   ");
        text.replace_range(72..80, "00001460");
        text.replace_range(149..157, "00000876");
        assert!(parse_line(&text).is_ok());
        text.replace_range(149..157, "00000900");
        let errors = parse_line(&text).unwrap_err();
        assert_eq!(errors[0].field, "Montant payé");
    }

    #[test]
    fn short_lines_and_negative_zero_are_refused() {
        assert_eq!(parse_line("1").unwrap_err()[0].field, "line");
        let mut text = sample();
        text.replace_range(71..80, "-00000000");
        text.replace_range(148..157, "+00000000");
        assert_eq!(parse_line(&text).unwrap_err()[0].field, "Signe");
    }
}
