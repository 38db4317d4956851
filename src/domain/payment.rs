//! What a CPAS paid, line by line, as the monthly statements of the SPP IS
//! (NOVAPRIMA, seed 003) list it. The text fields keep their fixed width, spaces
//! included, so that a statement is written back exactly as it was read.

use serde::{Deserialize, Serialize};

use super::decision::ErrorCode;
use super::{Amount, Date, InsCode, Month, Ssin};

/// Field 1: the law under which the payment was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Law {
    /// Code 1: integration income (formerly minimex).
    IntegrationIncome,
    /// Code 2: law of 2 April 1965.
    Law1965,
    /// Code 6: organic law of 8 July 1976.
    OrganicLaw,
}

impl Law {
    pub fn from_code(c: char) -> Option<Law> {
        match c {
            '1' => Some(Law::IntegrationIncome),
            '2' => Some(Law::Law1965),
            '6' => Some(Law::OrganicLaw),
            _ => None,
        }
    }

    pub fn code(self) -> char {
        match self {
            Law::IntegrationIncome => '1',
            Law::Law1965 => '2',
            Law::OrganicLaw => '6',
        }
    }
}

/// Field 8: what kind of amount the line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AmountType {
    /// 1: grant (form B).
    Grant,
    /// 2: arrears.
    Arrears,
    /// 3: recovery (form D).
    Recovery,
    /// 4: regularisation of a grant.
    GrantRegularisation,
    /// 5: regularisation of arrears.
    ArrearsRegularisation,
    /// 6: regularisation of a recovery.
    RecoveryRegularisation,
}

impl AmountType {
    pub fn from_code(c: char) -> Option<AmountType> {
        Some(match c {
            '1' => AmountType::Grant,
            '2' => AmountType::Arrears,
            '3' => AmountType::Recovery,
            '4' => AmountType::GrantRegularisation,
            '5' => AmountType::ArrearsRegularisation,
            '6' => AmountType::RecoveryRegularisation,
            _ => return None,
        })
    }

    pub fn code(self) -> char {
        match self {
            AmountType::Grant => '1',
            AmountType::Arrears => '2',
            AmountType::Recovery => '3',
            AmountType::GrantRegularisation => '4',
            AmountType::ArrearsRegularisation => '5',
            AmountType::RecoveryRegularisation => '6',
        }
    }
}

/// The State's share (in percent) of an amount booked on a budget article of the
/// integration income (seed 003's list: 102–153, 850–870 = 800 + the CPAS's rate,
/// 960–980 = the CPAS's rate, 50 to 70, + 10 for integration projects with students
/// before 1 November 2016). The dates the note gives some articles (before
/// 1 October 2002, contracts after 1 January 2017, ...) are not checked here.
pub fn state_share_percent(article: u16) -> Option<u8> {
    match article {
        102 => Some(60),
        103 => Some(65),
        104 => Some(70),
        130 => Some(75),
        132 | 133 => Some(10),
        152 | 153 => Some(20),
        105..=129 | 131 | 134..=145 if article != 117 => Some(100),
        850..=870 => u8::try_from(article - 800).ok(),
        960..=980 => u8::try_from(article - 900).ok(),
        _ => None,
    }
}

/// One line of a monthly statement. Text fields hold exactly their width.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLine {
    pub law: Law,
    /// The CPAS (its INS code).
    pub ins: InsCode,
    /// The month of the definitive statement.
    pub statement: Month,
    /// The beneficiary's file number at the CPAS (11).
    pub file_number: String,
    /// Law of 1965 only (2).
    pub suffix: String,
    pub ssin: Ssin,
    /// The reference of the form B that caused the payment (12).
    pub reference: String,
    pub amount_type: AmountType,
    /// The days the payment is for.
    pub first_day: Date,
    pub last_day: Date,
    /// The budget article as written (6) and its number.
    pub budget_article: String,
    pub article: u16,
    /// At 100 %, before the State's share.
    pub amount: Amount,
    /// Integration income: category A, B, E (C, D before 2002); law of 1965: a status.
    pub category: char,
    pub last_name: String,
    pub first_name: String,
    /// Integration income: 00 main beneficiary, 01 partner; law of 1965: aid type (2).
    pub concerned: String,
    /// The reference through the CBSS (15).
    pub reference2: String,
    /// The State's share of `amount`.
    pub paid: Amount,
}

impl PaymentLine {
    /// A living wage line of a statement: the days paid, the amount at 100 % in cents
    /// (booked at 60 % on article 860; a negative amount is a recovery), category B,
    /// about the main beneficiary, under a placeholder file number and name.
    pub fn living_wage(
        ins: InsCode,
        ssin: Ssin,
        statement: Month,
        first_day: Date,
        last_day: Date,
        cents: i64,
    ) -> PaymentLine {
        PaymentLine {
            law: Law::IntegrationIncome,
            ins,
            statement,
            file_number: format!("{:<11}", "DEMO"),
            suffix: "  ".into(),
            ssin,
            reference: format!("{:<12}", "B-DEMO"),
            amount_type: if cents < 0 {
                AmountType::Recovery
            } else {
                AmountType::Grant
            },
            first_day,
            last_day,
            budget_article: "860   ".into(),
            article: 860,
            amount: Amount::from_cents(cents),
            category: 'B',
            last_name: format!("{:<30}", "DEMO"),
            first_name: format!("{:<20}", "DEMO"),
            concerned: "00".into(),
            reference2: " ".repeat(15),
            paid: Amount::from_cents(cents * 60 / 100),
        }
    }

    /// Checks that involve several fields; for each problem its code, the field (the
    /// statement's name for it) and the reason.
    pub fn check(&self) -> Vec<(ErrorCode, &'static str, String)> {
        let mut errors = Vec::new();
        if self.first_day > self.last_day {
            errors.push((
                ErrorCode::PaidPeriodEmpty,
                "DPAYLSTDAY",
                format!(
                    "the last day paid ({}) is before the first ({})",
                    self.last_day, self.first_day
                ),
            ));
        }
        if self.law == Law::IntegrationIncome {
            if !matches!(self.category, 'A' | 'B' | 'C' | 'D' | 'E') {
                errors.push((
                    ErrorCode::Invalid,
                    "Catégorie",
                    format!(
                        "{:?} is not a category of the integration income (A, B, E; C, D before 2002)",
                        self.category
                    ),
                ));
            }
            if !matches!(self.concerned.as_str(), "00" | "01") {
                errors.push((
                    ErrorCode::Invalid,
                    "Personne concernée",
                    format!(
                        "{:?} is neither 00 (main beneficiary) nor 01 (partner)",
                        self.concerned
                    ),
                ));
            }
            match state_share_percent(self.article) {
                None => errors.push((
                    ErrorCode::Invalid,
                    "Article budgétaire",
                    format!(
                        "{} is not a budget article of the integration income",
                        self.article
                    ),
                )),
                Some(pct) => {
                    // No rounding rule is given: either rounding of the share is accepted.
                    let exact = i128::from(self.amount.cents()) * i128::from(pct);
                    let paid = i128::from(self.paid.cents()) * 100;
                    if (paid - exact).abs() >= 100 {
                        errors.push((
                            ErrorCode::StateShare,
                            "Montant payé",
                            format!(
                                "article {} carries a State share of {pct} %: the share of {} is {}, not {}",
                                self.article,
                                self.amount,
                                Amount::from_cents(
                                    i64::try_from(exact / 100).unwrap_or(i64::MAX)
                                ),
                                self.paid
                            ),
                        ));
                    }
                }
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::state_share_percent;

    #[test]
    fn budget_articles_carry_the_states_share() {
        assert_eq!(state_share_percent(102), Some(60));
        assert_eq!(state_share_percent(116), Some(100));
        assert_eq!(state_share_percent(117), None);
        assert_eq!(state_share_percent(855), Some(55));
        assert_eq!(state_share_percent(960), Some(60));
        assert_eq!(state_share_percent(979), Some(79));
        // « 70% + 10% », the last of the list.
        assert_eq!(state_share_percent(980), Some(80));
        assert_eq!(state_share_percent(981), None);
        assert_eq!(state_share_percent(959), None);
        assert_eq!(state_share_percent(871), None);
        assert_eq!(state_share_percent(146), None);
    }
}
