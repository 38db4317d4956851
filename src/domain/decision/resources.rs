//! Form B's resources (rubrics 31–42): what the CPAS counted before granting the
//! integration income. Every amount is annual and net; in category E rubrics 34–41
//! hold the sum of the beneficiary's and the partner's.

use serde::{Deserialize, Serialize};

use super::measures::{PerPerson, Who, at};
use super::rules::{ErrorCode, FormError};
use crate::domain::Amount;

/// Rubrics 31–33 for one person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Income {
    /// Rubric 31: professional income without the article 35 exemption (net × 12).
    pub professional: Option<Amount>,
    /// Rubric 32: professional income the article 35 exemption will apply to; the
    /// register deducts the exemption itself.
    pub art35: Option<Amount>,
    /// Rubric 33: income from an artistic activity, whose exemption the register
    /// computes.
    pub artistic: Option<Amount>,
}

impl Income {
    pub fn is_empty(&self) -> bool {
        *self == Income::default()
    }

    fn each(&self, who: Who) -> [(&'static str, Option<Amount>); 3] {
        [
            (at!(who, "", "professionalIncome"), self.professional),
            (at!(who, "", "professionalIncomeArt35"), self.art35),
            (at!(who, "", "artisticIncome"), self.artistic),
        ]
    }
}

/// Rubrics 34 (a–i, social benefits) and 35–41, one amount each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Resource {
    /// 34a: ONEM allowance after the waiting period of young job seekers.
    WaitingAllowance,
    /// 34b.
    UnemploymentBenefit,
    /// 34c.
    SicknessInvalidityBenefit,
    /// 34d: family benefits received by the beneficiary for themself.
    FamilyBenefits,
    /// 34e.
    ForeignSocialBenefits,
    /// 34f.
    RetirementSurvivorPension,
    /// 34g: the income guarantee for the elderly (GRAPA).
    IncomeGuaranteeElderly,
    /// 34h.
    DisabilityAllowance,
    /// 34i: other benefits.
    OtherBenefits,
    /// 35: built real estate above the exemption (art. 25 of the royal decree).
    BuiltRealEstate,
    /// 36.
    UnbuiltRealEstate,
    /// 37.
    MovableIncome,
    /// 38: maintenance received for the beneficiary's own benefit.
    AlimonyReceived,
    /// 39: main-residence costs paid by a third party who does not live there.
    BenefitsInKind,
    /// 40: e.g. an annuity from an insurer.
    NonCapitalisedAnnuity,
    /// 41.
    OtherResources,
}

impl Resource {
    /// In the contract's order.
    pub const ALL: [Resource; 16] = [
        Resource::WaitingAllowance,
        Resource::UnemploymentBenefit,
        Resource::SicknessInvalidityBenefit,
        Resource::FamilyBenefits,
        Resource::ForeignSocialBenefits,
        Resource::RetirementSurvivorPension,
        Resource::IncomeGuaranteeElderly,
        Resource::DisabilityAllowance,
        Resource::OtherBenefits,
        Resource::BuiltRealEstate,
        Resource::UnbuiltRealEstate,
        Resource::MovableIncome,
        Resource::AlimonyReceived,
        Resource::BenefitsInKind,
        Resource::NonCapitalisedAnnuity,
        Resource::OtherResources,
    ];

    /// The element's path under `formB`, which also names it in errors.
    pub fn field(self) -> &'static str {
        match self {
            Resource::WaitingAllowance => "resources/benefits/waitingAllowance",
            Resource::UnemploymentBenefit => "resources/benefits/unemploymentBenefit",
            Resource::SicknessInvalidityBenefit => "resources/benefits/sicknessInvalidityBenefit",
            Resource::FamilyBenefits => "resources/benefits/familyBenefits",
            Resource::ForeignSocialBenefits => "resources/benefits/foreignSocialBenefits",
            Resource::RetirementSurvivorPension => "resources/benefits/retirementSurvivorPension",
            Resource::IncomeGuaranteeElderly => "resources/benefits/incomeGuaranteeElderly",
            Resource::DisabilityAllowance => "resources/benefits/disabilityAllowance",
            Resource::OtherBenefits => "resources/benefits/otherBenefits",
            Resource::BuiltRealEstate => "resources/builtRealEstate",
            Resource::UnbuiltRealEstate => "resources/unbuiltRealEstate",
            Resource::MovableIncome => "resources/movableIncome",
            Resource::AlimonyReceived => "resources/alimonyReceived",
            Resource::BenefitsInKind => "resources/benefitsInKind",
            Resource::NonCapitalisedAnnuity => "resources/nonCapitalisedAnnuity",
            Resource::OtherResources => "resources/otherResources",
        }
    }

    /// The element's own name.
    pub fn element(self) -> &'static str {
        let field = self.field();
        field.rsplit('/').next().unwrap_or(field)
    }

    /// Rubric 34's sub-items sit in a `benefits` group.
    pub fn is_benefit(self) -> bool {
        self <= Resource::OtherBenefits
    }
}

/// Rubric 42: the cohabitants whose resources the CPAS counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cohabitants {
    /// 42.a: their annual resources, gross: the register deducts the category A amount
    /// for each counted cohabitant itself.
    pub resources: Option<Amount>,
    /// 42.b: how many cohabitants were counted at the rate of category A ...
    pub category_a: u8,
    /// ... and of category E (since 24 January 2019).
    pub category_e: u8,
}

/// Rubrics 31–42.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resources {
    pub income: PerPerson<Income>,
    /// Rubrics 34–41, each at most once, in `Resource::ALL` order.
    pub amounts: Vec<(Resource, Amount)>,
    pub cohabitants: Option<Cohabitants>,
}

pub(super) fn check(resources: &Resources, errors: &mut Vec<FormError>) {
    let negative = |a: Option<Amount>| a.is_some_and(|a| a.cents() < 0);
    let mut fields: Vec<&'static str> = Vec::new();
    for (who, income) in resources.income.each() {
        fields.extend(
            income
                .each(who)
                .into_iter()
                .filter(|(_, a)| negative(*a))
                .map(|(f, _)| f),
        );
    }
    fields.extend(
        resources
            .amounts
            .iter()
            .filter(|(_, a)| a.cents() < 0)
            .map(|(r, _)| r.field()),
    );
    if let Some(c) = &resources.cohabitants {
        if negative(c.resources) {
            fields.push("resources/cohabitants/resources");
        }
        // "Le nombre de cohabitants dont les ressources sont effectivement prises en
        // compte": resources without anyone counted cannot be used.
        if c.resources.is_some() && c.category_a == 0 && c.category_e == 0 {
            errors.push(FormError::new(
                ErrorCode::RubricRequired,
                "resources/cohabitants",
                "cohabitants' resources need the number of cohabitants counted in category A or E",
            ));
        }
    }
    for field in fields {
        errors.push(FormError::new(
            ErrorCode::Invalid,
            field,
            "resources are declared as amounts of 0 or more",
        ));
    }
}
