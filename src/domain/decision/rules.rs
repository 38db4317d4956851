//! Why a form is refused: every error found, each with its code, the rubric (the
//! element of the contract) and a message. Codes from the SPP IS note (seed 003) are
//! used where it gives one; the gateway's own codes are 9xxxxx and listed here.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The codes a refused form can carry. The README lists them for clients. (A missing
/// mandatory rubric breaks the contract's structure: that is a MSG00004 fault.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// 420408 (seed 003, rubric 15): study grant code not valid for the real-life situation.
    StudyGrantNotValidForSituation,
    /// A rubric holds a value outside its type or code list.
    Invalid,
    /// The real-life situation code is not valid at the form's entry date.
    SituationNotValidAtDate,
    /// Category E without the partner's SSIN.
    PartnerRequired,
    /// The partner is the beneficiary.
    PartnerIsBeneficiary,
    /// The reference is longer than 12 characters.
    ReferenceTooLong,
    /// None of months, weeks or days in the duration.
    DurationMissing,
    /// A suspension whose integration income is not 0 (or, when partial, not below the
    /// category's amount), or a departure abroad that is not total.
    SuspensionAmount,
    /// The installation premium was already granted to this person (by any CPAS).
    InstallationPremiumAlreadyGranted,
    /// Status 1 (regularisation) without an accepted form of the same SSIN and date.
    NothingToRegularise,
    /// Status 9 (withdrawal of a C) without an accepted C with exactly the same data.
    NothingToWithdraw,
    /// The form's CPAS is not the caller.
    NotTheCallersPcsa,
    /// The CBE / INS of the form is not a known PCSA, or they do not belong together.
    UnknownPcsa,
    /// The SSIN is not in the register, or was replaced or cancelled.
    PersonNotInRegister,
    /// A date outside the range the register accepts (e.g. decision after today).
    DateOutOfRange,
    /// Form D: the recovered period ends before it starts.
    RecoveryPeriodEmpty,
    /// Form D: the recovered period spans two calendar years.
    RecoveryPeriodAcrossYears,
    /// Form D: the recovered period straddles 1 July 2014 (the rate changed that day).
    RecoveryPeriodAcrossJuly2014,
    /// Form D: more recovered than the CPAS granted for the period.
    RecoveryAboveGranted,
    /// Form D: the sequence number is not the next one for the month and beneficiary.
    SequenceNumber,
    /// Form D: the recovery type is for another region or other dates.
    RecoveryTypeNotApplicable,
    /// Payment: the last day paid is before the first.
    PaidPeriodEmpty,
    /// Payment: the amount paid is not the budget article's State share of the amount.
    StateShare,
    /// 350101 (seed 003, rubrics 24/67): a PTP in Wallonia from 1 July 2017 needs the
    /// Walloon Region's confirmation.
    WalloonConfirmationRequired,
    /// 320771 (seed 003, rubrics 24/67): Activa or insertion temping in Wallonia from
    /// 1 July 2017, "type de mise au travail non valable".
    EmploymentTypeNotValid,
    /// A code of rubrics 21–25 that does not apply in the CPAS's region or at the entry date.
    MeasureNotApplicable,
    /// Rubrics about the partner on a form without the partner's SSIN.
    PartnerRubricWithoutPartner,
    /// A rubric that others make mandatory is missing (the measure a subsidy pays for,
    /// the integration project in category E, ...).
    RubricRequired,
    /// A subsidy above what the measure allows.
    SubsidyAboveCeiling,
    /// Article 60 and article 61 subsidies on one Walloon form from 2025.
    Art60AndArt61Combined,
    /// A form B with status 0 of the SSIN and entry date of an accepted B still in
    /// force: a correction of that B is a regularisation (status 1).
    RegularisationRequired,
    /// A form B longer than one of its measures allows (a social-economy article 60
    /// subsidy past 31 December, a Brussels article 61 premium past its month).
    DurationBeyondMeasure,
    /// A Brussels article 61 training premium past the 36 months that follow the
    /// first request, or beyond its 3,000 over them.
    TrainingPremiumContingent,
    /// The annual integration income above the category's amount at the entry date.
    IncomeAboveCategory,
    /// The installation premium is not the monthly amount of category E at the entry
    /// date, or a revision restates it with another amount.
    InstallationPremiumAmount,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 35] = [
        ErrorCode::StudyGrantNotValidForSituation,
        ErrorCode::Invalid,
        ErrorCode::SituationNotValidAtDate,
        ErrorCode::PartnerRequired,
        ErrorCode::PartnerIsBeneficiary,
        ErrorCode::ReferenceTooLong,
        ErrorCode::DurationMissing,
        ErrorCode::SuspensionAmount,
        ErrorCode::InstallationPremiumAlreadyGranted,
        ErrorCode::NothingToRegularise,
        ErrorCode::NothingToWithdraw,
        ErrorCode::NotTheCallersPcsa,
        ErrorCode::UnknownPcsa,
        ErrorCode::PersonNotInRegister,
        ErrorCode::DateOutOfRange,
        ErrorCode::RecoveryPeriodEmpty,
        ErrorCode::RecoveryPeriodAcrossYears,
        ErrorCode::RecoveryPeriodAcrossJuly2014,
        ErrorCode::RecoveryAboveGranted,
        ErrorCode::SequenceNumber,
        ErrorCode::RecoveryTypeNotApplicable,
        ErrorCode::PaidPeriodEmpty,
        ErrorCode::StateShare,
        ErrorCode::WalloonConfirmationRequired,
        ErrorCode::EmploymentTypeNotValid,
        ErrorCode::MeasureNotApplicable,
        ErrorCode::PartnerRubricWithoutPartner,
        ErrorCode::RubricRequired,
        ErrorCode::SubsidyAboveCeiling,
        ErrorCode::Art60AndArt61Combined,
        ErrorCode::RegularisationRequired,
        ErrorCode::DurationBeyondMeasure,
        ErrorCode::TrainingPremiumContingent,
        ErrorCode::IncomeAboveCategory,
        ErrorCode::InstallationPremiumAmount,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::StudyGrantNotValidForSituation => "420408",
            ErrorCode::Invalid => "900002",
            ErrorCode::SituationNotValidAtDate => "900003",
            ErrorCode::PartnerRequired => "900004",
            ErrorCode::PartnerIsBeneficiary => "900005",
            ErrorCode::ReferenceTooLong => "900006",
            ErrorCode::DurationMissing => "900007",
            ErrorCode::SuspensionAmount => "900008",
            ErrorCode::InstallationPremiumAlreadyGranted => "900009",
            ErrorCode::NothingToRegularise => "900010",
            ErrorCode::NothingToWithdraw => "900011",
            ErrorCode::NotTheCallersPcsa => "900012",
            ErrorCode::UnknownPcsa => "900013",
            ErrorCode::PersonNotInRegister => "900014",
            ErrorCode::DateOutOfRange => "900015",
            ErrorCode::RecoveryPeriodEmpty => "900016",
            ErrorCode::RecoveryPeriodAcrossYears => "900017",
            ErrorCode::RecoveryPeriodAcrossJuly2014 => "900018",
            ErrorCode::RecoveryAboveGranted => "900019",
            ErrorCode::SequenceNumber => "900020",
            ErrorCode::RecoveryTypeNotApplicable => "900021",
            ErrorCode::PaidPeriodEmpty => "900022",
            ErrorCode::StateShare => "900023",
            ErrorCode::WalloonConfirmationRequired => "350101",
            ErrorCode::EmploymentTypeNotValid => "320771",
            ErrorCode::MeasureNotApplicable => "900024",
            ErrorCode::PartnerRubricWithoutPartner => "900025",
            ErrorCode::RubricRequired => "900026",
            ErrorCode::SubsidyAboveCeiling => "900027",
            ErrorCode::Art60AndArt61Combined => "900028",
            ErrorCode::RegularisationRequired => "900029",
            ErrorCode::DurationBeyondMeasure => "900030",
            ErrorCode::TrainingPremiumContingent => "900031",
            ErrorCode::IncomeAboveCategory => "900032",
            ErrorCode::InstallationPremiumAmount => "900033",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One error of a refused form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    pub code: ErrorCode,
    /// The element of the form it is about (e.g. `studyGrant`).
    pub field: &'static str,
    /// For a statement of payments: which payment (from 1).
    pub line: Option<u32>,
    pub message: String,
}

impl FormError {
    pub fn new(code: ErrorCode, field: &'static str, message: impl Into<String>) -> Self {
        FormError {
            code,
            field,
            line: None,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_is_documented_for_clients_and_codes_are_distinct() {
        let readme = include_str!("../../../README.md");
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(
                readme.contains(&format!("| {} |", code.code())),
                "{code} not in README"
            );
            assert!(seen.insert(code.code()), "{code} twice");
        }
    }
}
