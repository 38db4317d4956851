//! LivingWages V3 against one person's long history: milliseconds per `getLivingWages`
//! for a person with N forms B from one CPAS (each revising the right from the next
//! day), then with N forms C as well, against V2 on the same person. Both the kept
//! decided rights (the default) and the replay a propagation delay makes while the
//! last form is still within it, what registering the forms cost (µs per form, judged
//! against the history and made durable), and judging one more form B against the
//! history alone (µs, best of 20). In process, against a real redb store.
//! `cargo bench --bench history -- 250 500 1000 2000`.

use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

use bcss_gateway::demo;
use bcss_gateway::domain::decision::{
    CStatus, Duration, Form, FormB, FormC, Nature, Outcome, Sender,
};
use bcss_gateway::domain::{Category, Date, Institution, RightKind, Ssin};
use bcss_gateway::services::living_wages_v2;
use bcss_gateway::services::living_wages_v3;
use bcss_gateway::services::pcsa_decision::{judge, judge_and_register};
use bcss_gateway::services::propagation::Visibility;
use bcss_gateway::store::{DecisionFile, RedbStore, ReferenceData, Register, Store};
use bcss_gateway::wire::living_wages_v2 as lw2;
use bcss_gateway::wire::living_wages_v3 as lw3;
use bcss_gateway::wire::soap;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const START_MS: i64 = 1_800_000_000_000;

fn form_b(sender: &Sender, ssin: Ssin, entry: Date, i: usize) -> Form {
    Form::B(FormB {
        sender: sender.clone(),
        ssin,
        kind: RightKind::LivingWage,
        entry_date: entry,
        category: Category::B,
        situation: 12,
        national_register: 0,
        homeless: false,
        study_grant: 0,
        partner: None,
        duration: Duration {
            months: 12,
            ..Duration::default()
        },
        decision_date: entry,
        annual_amount: None,
        installation_premium: None,
        regularisation: false,
        reference: Some(format!("H{i}")),
        suspension: None,
        judgement: false,
        measures: Box::default(),
        resources: Box::default(),
    })
}

fn form_c(sender: &Sender, ssin: Ssin, entry: Date, i: usize) -> Form {
    Form::C(FormC {
        sender: sender.clone(),
        ssin,
        entry_date: entry,
        decision_date: entry,
        nature: Nature::Withdrawal,
        effective_stop: None,
        status: CStatus::New,
        reference: Some(format!("W{i}")),
    })
}

/// Milliseconds per call of `f`, the best of a few rounds.
fn time_ms(mut f: impl FnMut() -> Result<(), Box<dyn Error>>) -> Result<f64, Box<dyn Error>> {
    f()?;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        f()?;
        best = best.min(start.elapsed().as_secs_f64() * 1e3);
    }
    Ok(best)
}

fn request(operation_ns: &str, onem: &str, ssin: &Ssin) -> String {
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>\
         <lw:getLivingWagesRequest xmlns:lw=\"{operation_ns}\"><informationCustomer><customerIdentification>\
         <cbeNumber>{onem}</cbeNumber></customerIdentification></informationCustomer>\
         <legalContext>UNEMPLOYMENT:LIVING_WAGE_CHECK</legalContext><criteria><ssin>{ssin}</ssin><period>\
         <beginDate>2000-01-01</beginDate></period></criteria></lw:getLivingWagesRequest></soapenv:Body></soapenv:Envelope>"
    )
}

struct Figures {
    v2: f64,
    v3: f64,
    v3_replayed: f64,
    rights: usize,
}

fn consult(
    store: &dyn Store,
    caller: &Institution,
    onem: &str,
    ssin: &Ssin,
    last_registered_ms: i64,
) -> Result<Figures, Box<dyn Error>> {
    let body2 = request(lw2::INTF_NS, onem, ssin);
    let envelope2 = soap::parse_envelope(body2.as_bytes()).map_err(|(_, e)| e)?;
    let request2 = lw2::read_request(&envelope2.payload).map_err(|e| format!("{e:?}"))?;
    let body3 = request(lw3::INTF_NS, onem, ssin);
    let envelope3 = soap::parse_envelope(body3.as_bytes()).map_err(|(_, e)| e)?;
    let request3 = lw3::read_request(&envelope3.payload).map_err(|e| format!("{e:?}"))?;
    let (status, answer) =
        living_wages_v3::consult(store, caller, &request3, Visibility::default())?;
    if status.code != "MSG00000" {
        return Err(format!("V3 answered {}", status.code).into());
    }
    let rights = match &answer {
        lw3::Answer::Rights(r) => r.len(),
        _ => 0,
    };
    let v2 = time_ms(|| {
        black_box(living_wages_v2::consult(
            store,
            caller,
            &request2,
            Visibility::default(),
        )?);
        Ok(())
    })?;
    let v3 = time_ms(|| {
        black_box(living_wages_v3::consult(
            store,
            caller,
            &request3,
            Visibility::default(),
        )?);
        Ok(())
    })?;
    // The last form registered a millisecond ago, with a five-second delay: every
    // other form counts, so the answer replays them.
    let pending = Visibility {
        delay_ms: 5_000,
        now_ms: last_registered_ms + 1,
    };
    let v3_replayed = time_ms(|| {
        black_box(living_wages_v3::consult(store, caller, &request3, pending)?);
        Ok(())
    })?;
    Ok(Figures {
        v2,
        v3,
        v3_replayed,
        rights,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![250, 500, 1000]
    } else {
        sizes
    };
    println!(
        "{:<14} {:>8} {:>10} {:>10} {:>14} {:>14} {:>10}",
        "history", "rights", "V2 ms", "V3 ms", "V3 replay ms", "register µs", "judge µs"
    );
    // Judging `form` against the person's forms, without writing it.
    let judging = |store: &RedbStore, form: &Form| -> Result<f64, Box<dyn Error>> {
        let file = DecisionFile {
            person: store.person(&form.ssin())?,
            forms: store.forms(&form.ssin())?,
            next_number: u64::MAX / 2,
            ..DecisionFile::default()
        };
        let mut best = f64::MAX;
        for _ in 0..20 {
            let start = Instant::now();
            black_box(judge(form, &[], START_MS, false, &file));
            best = best.min(start.elapsed().as_secs_f64() * 1e6);
        }
        Ok(best)
    };
    for n in sizes {
        let dir = tempfile::tempdir()?;
        let store = RedbStore::open_dir(dir.path())?;
        let keys: Vec<demo::Credentials<'_>> = demo::INSTITUTIONS
            .iter()
            .map(|(key, _)| (*key, None, None))
            .collect();
        let ssins = demo::load(&store, &dir.path().join("world"), &keys)?;
        let ssin = ssins
            .iter()
            .find(|s| s.illustrates.contains("no right"))
            .ok_or("no demo SSIN without a right")?;
        let ssin = Ssin::parse(&ssin.ssin)?;
        let liege = store
            .pcsa(&demo::institution_cbe("cpas-liege")?)?
            .ok_or("no Liège")?;
        let sender = Sender {
            name: "CPAS de Liège".into(),
            ins: liege.ins,
            cbe: liege.cbe,
        };
        let onem_cbe = demo::institution_cbe("onem")?;
        let onem = store.institution(&onem_cbe)?.ok_or("no ONEM")?;
        let first = Date::parse_xsd("2020-01-01")?;
        let day = |i: usize| -> Result<Date, Box<dyn Error>> {
            Ok(first
                .add_days(i32::try_from(i)?)
                .ok_or("a day beyond the calendar")?)
        };
        let register = |form: Form, at_ms: i64| -> Result<(), Box<dyn Error>> {
            match judge_and_register(&store, &form, Vec::new(), at_ms, false)? {
                Some(Outcome::Accepted { .. }) => Ok(()),
                other => Err(format!("not accepted: {other:?}").into()),
            }
        };
        // The k-th form is registered k × 10 s after the first.
        let at = |k: usize| START_MS + 10_000 * k as i64;
        let per_form = |start: Instant| start.elapsed().as_secs_f64() * 1e6 / n as f64;
        let start = Instant::now();
        for i in 0..n {
            register(form_b(&sender, ssin, day(i)?, i), at(i))?;
        }
        let registering = per_form(start);
        let judged = judging(&store, &form_b(&sender, ssin, day(n)?, n))?;
        let f = consult(&store, &onem, onem_cbe.as_str(), &ssin, at(n - 1))?;
        println!(
            "{:<14} {:>8} {:>10.2} {:>10.2} {:>14.1} {:>14.0} {:>10.0}",
            format!("{n} B"),
            f.rights,
            f.v2,
            f.v3,
            f.v3_replayed,
            registering,
            judged
        );
        // Withdrawals from the last day backwards, each ending the right a day sooner.
        let start = Instant::now();
        for i in 0..n {
            register(form_c(&sender, ssin, day(n - i)?, i), at(n + i))?;
        }
        let registering = per_form(start);
        let judged = judging(&store, &form_b(&sender, ssin, day(2 * n)?, 2 * n))?;
        let f = consult(&store, &onem, onem_cbe.as_str(), &ssin, at(2 * n - 1))?;
        println!(
            "{:<14} {:>8} {:>10.2} {:>10.2} {:>14.1} {:>14.0} {:>10.0}",
            format!("{n} B + {n} C"),
            f.rights,
            f.v2,
            f.v3,
            f.v3_replayed,
            registering,
            judged
        );
    }
    Ok(())
}
