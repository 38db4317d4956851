//! The yearly integration income per category from 1 October 2002, when the law of
//! 26 May 2002 came into force: the amount in force on a day, for rubric 61 (the
//! income granted is at most the category's), rubric 62 (the installation premium is
//! « toujours du montant mensuel applicable pour la catégorie E »), rubric 82 (a
//! partial suspension stays below the category's amount) and the article 60 subsidies
//! that follow category E (rubric 63).
//!
//! The law fixes yearly amounts: a base amount (article 14 of the law, and the royal
//! decree of 3 September 2004 that raised it) times the index coefficient, 1.02 to the
//! number of 2 % index steps, to four decimals, rounded to the cent. A month is a
//! twelfth, rounded to the cent. Each row says what changed, how its amounts are known
//! (published, or computed from the base amounts and coefficient shown, which every
//! published row also obeys) and where: the SPP IS's primabook (« Bedragen leefloon »)
//! and mi-is.be, the Moniteur belge (via etaamb.openjustice.be, wetwijzer.be,
//! vlex.be), the federations (vvsg.be) and CPAS, and the press for the dates of index
//! steps. The table of 1 October 2004 also holds from 1 January 2005, when the four
//! categories of 2002 became three with the same amounts.

use crate::domain::{Amount, Category, Date};

/// From the day given, the yearly amounts in cents of categories A, B and E.
const YEARLY: [((i32, u32, u32), [i64; 3]); 41] = [
    // law (entry into force of loi 26/05/2002, art. 14; 4 categories); computed:
    // base × coefficient, not seen published (4400, 6600, 8800 × 1.0612).
    // actualitesdroitbelge.be, news.belgium.be, luttepauvrete.be, indicators.be
    ((2002, 10, 1), [466_928, 700_392, 933_856]),
    // index (+2%); computed: base × coefficient, not seen published (4400, 6600,
    // 8800 × 1.0824). indicators.be, wordscope.be
    ((2003, 6, 1), [476_256, 714_384, 952_512]),
    // welfare increase +1% (AR 03/09/2004, MB 27/09/2004) + index (+2%) on the same
    // day; computed: base × coefficient, not seen published (4444, 6666, 8888 ×
    // 1.1041). news.belgium.be, wordscope.be
    ((2004, 10, 1), [490_662, 735_993, 981_324]),
    // index; as published (4444, 6666, 8888 × 1.1262). primabook.mi-is.be
    ((2005, 8, 1), [500_483, 750_725, 1_000_967]),
    // index + welfare increase +1% (AR 03/09/2004 art. 2, 2°); as published
    // (4488.44, 6732.66, 8976.88 × 1.1487). primabook.mi-is.be, acv-gevangenissen.be
    ((2006, 10, 1), [515_587, 773_381, 1_031_174]),
    // welfare increase +2% (AR 15/03/2007 brought forward from 1/10/2007); as
    // published (4578.21, 6867.31, 9156.42 × 1.1487). primabook.mi-is.be,
    // etaamb.openjustice.be
    ((2007, 4, 1), [525_899, 788_848, 1_051_798]),
    // welfare increase +2% (AR 15/03/2007, 4°) + index, same day; as published
    // (4669.77, 7004.66, 9339.55 × 1.1717). primabook.mi-is.be, wetwijzer.be, gva.be
    ((2008, 1, 1), [547_157, 820_736, 1_094_315]),
    // index; as published (4669.77, 7004.66, 9339.55 × 1.1951). primabook.mi-is.be
    ((2008, 5, 1), [558_084, 837_127, 1_116_170]),
    // index; as published (4669.77, 7004.66, 9339.55 × 1.2190). primabook.mi-is.be
    ((2008, 9, 1), [569_245, 853_868, 1_138_491]),
    // welfare increase +2% (AR 04/05/2010, numac 2011011116, published 2011,
    // retroactive; that this AR added the 1 June 2009 amounts is inferred from
    // counting the items of art. 2 of the AR of 03/09/2004); as published (4763.17,
    // 7144.75, 9526.34 × 1.2190). primabook.mi-is.be, etaamb.openjustice.be
    ((2009, 6, 1), [580_630, 870_945, 1_161_261]),
    // index; as published (4763.17, 7144.75, 9526.34 × 1.2434). primabook.mi-is.be, hbvl.be
    ((2010, 9, 1), [592_253, 888_378, 1_184_505]),
    // index; as published (4763.17, 7144.75, 9526.34 × 1.2682). primabook.mi-is.be, hbvl.be
    ((2011, 5, 1), [604_065, 906_097, 1_208_130]),
    // welfare increase +2% (AR 13/08/2011); as published (4858.43, 7287.65, 9716.87
    // × 1.2682). primabook.mi-is.be, etaamb.be
    ((2011, 9, 1), [616_146, 924_220, 1_232_293]),
    // index; as published (4858.43, 7287.65, 9716.87 × 1.2936). primabook.mi-is.be
    ((2012, 2, 1), [628_487, 942_730, 1_256_974]),
    // index; as published (4858.43, 7287.65, 9716.87 × 1.3195). primabook.mi-is.be,
    // deplalaw.be
    ((2012, 12, 1), [641_070, 961_605, 1_282_141]),
    // welfare increase +2% (AR 30/08/2013, MB 11/09/2013); as published (4955.60,
    // 7433.40, 9911.21 × 1.3195). primabook.mi-is.be, deplalaw.be
    ((2013, 9, 1), [653_891, 980_837, 1_307_784]),
    // welfare increase +2% (AR 30/08/2015); as published (5054.71, 7582.07, 10109.43
    // × 1.3195). primabook.mi-is.be, armoedebestrijding.be
    ((2015, 9, 1), [666_969, 1_000_454, 1_333_939]),
    // welfare increase/law +2% (tax-shift social correction, AR 01/04/2016); as
    // published (5155.80, 7733.71, 10311.62 × 1.3195). primabook.mi-is.be, bx1.be
    ((2016, 4, 1), [680_308, 1_020_463, 1_360_618]),
    // index; as published (5155.80, 7733.71, 10311.62 × 1.3459). primabook.mi-is.be
    ((2016, 6, 1), [693_919, 1_040_880, 1_387_841]),
    // index; as published (5155.80, 7733.71, 10311.62 × 1.3728). primabook.mi-is.be,
    // ocmwsintniklaas.be
    ((2017, 6, 1), [707_788, 1_061_684, 1_415_579]),
    // welfare increase +0.9% (AR 30/06/2017); as published (5202.20, 7803.31,
    // 10404.42 × 1.3728). primabook.mi-is.be, vlex.be, ocmwbredene.be
    ((2017, 9, 1), [714_158, 1_071_238, 1_428_319]),
    // welfare increase, cat. E only (+40 €/month; AR 22/06/2018); as published
    // (5202.20, 7803.31, 10754.07 × 1.3728). primabook.mi-is.be, vvsg.be
    ((2018, 7, 1), [714_158, 1_071_238, 1_476_319]),
    // index; as published (5202.20, 7803.31, 10754.07 × 1.4002). primabook.mi-is.be,
    // vvsg.be
    ((2018, 9, 1), [728_412, 1_092_619, 1_505_785]),
    // welfare increase +2%, cat. A and B only (AR 26/05/2019); as published
    // (5306.24, 7959.38, 10754.07 × 1.4002). primabook.mi-is.be,
    // centenvoorstudenten.be, bruxelles-j.be
    ((2019, 7, 1), [742_980, 1_114_472, 1_505_785]),
    // welfare increase ≈ +1.25% (AR 26/05/2019); as published (5371.27, 8056.92,
    // 10888.50 × 1.4002). primabook.mi-is.be
    ((2020, 1, 1), [752_085, 1_128_130, 1_524_608]),
    // index; monthly amounts published; yearly = base × coefficient (5371.27,
    // 8056.92, 10888.50 × 1.4282). centenvoorstudenten.be, vrt.be
    ((2020, 3, 1), [767_125, 1_150_689, 1_555_096]),
    // welfare increase +2.6875% (AR 20/12/2020); as published (5515.62, 8273.45,
    // 11181.13 × 1.4282). mi-is.be, wetwijzer.be
    ((2021, 1, 1), [787_741, 1_181_614, 1_596_889]),
    // welfare increase +2% (AR 06/08/2021, in force 1/07/2021); computed: base ×
    // coefficient, not seen published (5625.93, 8438.92, 11404.75 × 1.4282).
    // vlex.be, news.belgium.be, fediplus.be
    ((2021, 7, 1), [803_495, 1_205_247, 1_628_826]),
    // index; computed: base × coefficient, not seen published (5625.93, 8438.92,
    // 11404.75 × 1.4568). dillenadvocaten.be, vvsg.be
    ((2021, 9, 1), [819_585, 1_229_382, 1_661_444]),
    // welfare increase +2.6875% (AR 06/08/2021) + index, same day; monthly amounts
    // published; yearly = base × coefficient (5773.18, 8659.78, 11703.23 × 1.4859).
    // vvsg.be, vlex.be
    ((2022, 1, 1), [857_837, 1_286_757, 1_738_983]),
    // index; computed: base × coefficient, not seen published (5773.18, 8659.78,
    // 11703.23 × 1.5157). attentia.be
    ((2022, 3, 1), [875_041, 1_312_563, 1_773_859]),
    // index; computed: base × coefficient, not seen published (5773.18, 8659.78,
    // 11703.23 × 1.5460). lalibre.be
    ((2022, 5, 1), [892_534, 1_338_802, 1_809_319]),
    // index; computed: base × coefficient, not seen published (5773.18, 8659.78,
    // 11703.23 × 1.5769). vrt.be
    ((2022, 8, 1), [910_373, 1_365_561, 1_845_482]),
    // index; monthly amounts published; yearly = base × coefficient (5773.18,
    // 8659.78, 11703.23 × 1.6084). vvsg.be
    ((2022, 11, 1), [928_558, 1_392_839, 1_882_348]),
    // index; computed: base × coefficient, not seen published (5773.18, 8659.78,
    // 11703.23 × 1.6406). lesoir.be, neutr-on.be
    ((2022, 12, 1), [947_148, 1_420_724, 1_920_032]),
    // welfare increase (3rd step, AR 06/08/2021); monthly amounts and E published, A
    // and B yearly = base × coefficient (5920.42, 8880.64, 12001.71 × 1.6406).
    // securex.be, bruxelles-j.be, vlex.be
    ((2023, 1, 1), [971_304, 1_456_958, 1_969_001]),
    // welfare increase +2% (welfare increase envelope 2023-2024); computed: base ×
    // coefficient, not seen published (6038.83, 9058.25, 12241.74 × 1.6406).
    // news.belgium.be, lalibre.be
    ((2023, 7, 1), [990_730, 1_486_096, 2_008_380]),
    // index; monthly amounts published; yearly = base × coefficient (6038.83,
    // 9058.25, 12241.74 × 1.6734). rtl.be, ecovisionary.online, orbiss.be
    ((2023, 11, 1), [1_010_538, 1_515_808, 2_048_533]),
    // index; monthly amounts published; yearly = base × coefficient (6038.83,
    // 9058.25, 12241.74 × 1.7069). centenvoorstudenten.be, mi-is.be
    ((2024, 5, 1), [1_030_768, 1_546_153, 2_089_543]),
    // index; as published (6038.83, 9058.25, 12241.74 × 1.7410). cpasseraing.be,
    // cpassivryrance.be, trends.levif.be
    ((2025, 2, 1), [1_051_360, 1_577_041, 2_131_287]),
    // index (pivot passed Dec 2025; social benefits raised only in March 2026 under
    // the loi-programme of 18/07/2025); computed: base × coefficient, not seen
    // published (6038.83, 9058.25, 12241.74 × 1.7758). incidence-asbl.org,
    // trends.levif.be
    ((2026, 3, 1), [1_072_375, 1_608_564, 2_173_888]),
];

/// The yearly amount of `category` in force on `at`; `None` before 1 October 2002.
pub fn yearly(category: Category, at: Date) -> Option<Amount> {
    let (_, amounts) = YEARLY
        .iter()
        .rev()
        .find(|((y, m, d), _)| Date::from_ymd(*y, *m, *d).is_ok_and(|from| from <= at))?;
    Some(Amount::from_cents(match category {
        Category::A => amounts[0],
        Category::B => amounts[1],
        Category::E => amounts[2],
    }))
}

/// The first day of the amounts in force on `at`.
pub fn in_force_since(at: Date) -> Option<Date> {
    YEARLY
        .iter()
        .rev()
        .filter_map(|((y, m, d), _)| Date::from_ymd(*y, *m, *d).ok())
        .find(|from| *from <= at)
}

/// The monthly amount: a twelfth of the yearly one, rounded to the cent.
pub fn monthly(category: Category, at: Date) -> Option<Amount> {
    yearly(category, at).map(|a| Amount::from_cents((a.cents() * 10 + 60) / 120))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Date {
        Date::parse_xsd(s).unwrap()
    }

    fn text(a: Option<Amount>) -> Option<String> {
        a.map(|a| a.to_string())
    }

    #[test]
    fn the_notes_own_figures_are_in_the_table() {
        // Rubric 42's example « Personne en cat A au 01/12/2018 »: 7,284.12 and
        // 15,057.85; its later example's cohabitant rate, 7,429.80 (from July 2019).
        assert_eq!(
            text(yearly(Category::A, at("2018-12-01"))),
            Some("7284.12".into())
        );
        assert_eq!(
            text(yearly(Category::E, at("2018-12-01"))),
            Some("15057.85".into())
        );
        assert_eq!(
            text(yearly(Category::A, at("2019-07-01"))),
            Some("7429.80".into())
        );
        assert_eq!(
            text(yearly(Category::A, at("2019-06-30"))),
            Some("7284.12".into())
        );
    }

    #[test]
    fn amounts_apply_from_their_day_and_not_before_the_law() {
        assert_eq!(yearly(Category::B, at("2002-09-30")), None);
        assert_eq!(
            text(yearly(Category::B, at("2002-10-01"))),
            Some("7003.92".into())
        );
        assert_eq!(
            text(yearly(Category::B, at("2025-01-31"))),
            Some("15461.53".into())
        );
        assert_eq!(
            text(yearly(Category::B, at("2025-02-01"))),
            Some("15770.41".into())
        );
        // The published monthly amounts of 1 February 2025: 876.13, 1,314.20, 1,776.07.
        let months: Vec<_> = [Category::A, Category::B, Category::E]
            .into_iter()
            .map(|c| text(monthly(c, at("2025-02-01"))))
            .collect();
        assert_eq!(
            months,
            [
                Some("876.13".into()),
                Some("1314.20".into()),
                Some("1776.07".into())
            ]
        );
    }

    #[test]
    fn the_table_runs_forward_and_never_falls() {
        for pair in YEARLY.windows(2) {
            let [(from, before), (to, after)] = pair else {
                continue;
            };
            assert!(from < to, "{from:?} before {to:?}");
            assert!((0..3).all(|i| after[i] >= before[i]), "{to:?}");
        }
    }
}
