//! Whole stories on the demo catalog, with real holidays: 出生一件事 from filing to the re-rating
//! after a rectification, every notice snapshotted.

use catalog::Role;
use expect_test::expect;
use onething::{AppStatus, CaseStatus, Known, RatingLevel, RatingRequest, Recipient};

use crate::harness::*;

fn notice_lines(s: &Story<'_>) -> String {
    s.notices
        .iter()
        .map(|n| {
            let who = match &n.recipient {
                Recipient::Account { account } if *account == APPLICANT => "applicant".to_owned(),
                r => r.key(),
            };
            format!("{} {who} {}: {}\n", domain::china_time(n.at).format("%m-%d %H:%M"), n.kind, n.text_zh)
        })
        .collect()
}

#[test]
fn birth_from_filing_to_re_rating() {
    let w = World::demo();
    let records: Vec<_> = ["resident_id_card", "household_register", "marriage_registration"]
        .iter()
        .map(|t| w.record(t, china(2024, 5, 6, 10, 0)))
        .collect();
    let known = Known { records: &records, prior: None };
    let mut s = Story::submit(&w, Submission::bundle("birth").known(known), start_time());
    let window = actor(WINDOW_CLERK, &[Role::Window]);
    let clerk = actor(STAFF, &[Role::Clerk]);
    let at = |s: &mut Story<'_>, m: u32, d: u32, h: u32| s.set_now(china(2025, m, d, h, 0));
    let tick = |s: &mut Story<'_>, m: u32, d: u32, h: u32| {
        s.set_now(china(2025, m, d, h, 0));
        s.tick()
    };

    assert_eq!(s.app.uploaded_materials(), 1);
    at(&mut s, 9, 26, 10);
    s.act("wjw-birth-cert", "accept", &window, None);
    assert_eq!(tick(&mut s, 9, 26, 18).warned, 1);
    // Sunday 09-28 is a working day.
    at(&mut s, 9, 28, 11);
    s.act("wjw-birth-cert", "approve", &clerk, None);
    for item in ["ga-hukou-birth", "ybj-newborn-insurance", "wjw-vaccination-cert", "ybj-maternity-allowance"] {
        assert_eq!(s.case(item).status, CaseStatus::Active, "{item}");
    }
    at(&mut s, 9, 28, 14);
    s.act("ybj-newborn-insurance", "handle", &window, None);
    at(&mut s, 9, 28, 15);
    s.act("ga-hukou-birth", "accept", &window, None);
    at(&mut s, 9, 29, 9);
    s.act("ga-hukou-birth", "request_supplement", &clerk, Some("请补充新生儿父母双方签字的户口申报表"));
    assert_eq!(s.app.status, AppStatus::Supplementing);
    at(&mut s, 9, 29, 10);
    s.act("wjw-vaccination-cert", "handle", &window, None);
    at(&mut s, 9, 29, 16);
    s.act("ybj-maternity-allowance", "accept", &clerk, None);
    assert_eq!(tick(&mut s, 9, 30, 8), onething::TickOutcome::default(), "the paused hukou case is not due");
    // Resubmitted after the National Day holiday: paused 09-30 and 10-09.
    at(&mut s, 10, 9, 9);
    s.act("ga-hukou-birth", "resubmit", &applicant_actor(), None);
    assert_eq!(s.case("ga-hukou-birth").paused_days, 2);
    assert_eq!(s.case("ga-hukou-birth").promised_deadline, Some(date(2025, 10, 9)));
    at(&mut s, 10, 9, 14);
    s.act("ga-hukou-birth", "approve", &clerk, None);
    tick(&mut s, 10, 10, 8);
    at(&mut s, 10, 10, 9);
    s.act("wjw-child-health", "handle", &window, None);
    // Saturday 10-11 is a working day; the maternity allowance was due that day.
    tick(&mut s, 10, 13, 9);
    assert!(s.case("ybj-maternity-allowance").overdue);
    at(&mut s, 10, 13, 10);
    s.act("rsj-social-card", "accept", &window, None);
    s.act("rsj-social-card", "approve", &clerk, None);
    at(&mut s, 10, 14, 9);
    s.act("ybj-maternity-allowance", "approve", &actor(STAFF, &[Role::Reviewer]), None);
    assert_eq!(s.app.status, AppStatus::Completed);
    // 09-28, 09-29, 09-30, 10-09, 10-10, 10-11, 10-13, 10-14.
    assert_eq!(s.app.elapsed_days, Some(8));

    let eng = w.engine();
    at(&mut s, 10, 15, 9);
    let now = s.now;
    let e = eng
        .rate(
            &mut s.app,
            APPLICANT,
            RatingRequest {
                level: RatingLevel::Dissatisfied,
                comment: Some("生育津贴超期".into()),
                departments: vec!["ybj".into()],
            },
            now,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
    s.absorb(e);
    at(&mut s, 10, 16, 9);
    let now = s.now;
    let rid = s.app.rectifications[0].id;
    let e = eng
        .respond_rectification(&mut s.app, rid, SUPERVISOR, "已优化津贴审核流程", now)
        .unwrap_or_else(|e| panic!("{e:?}"));
    s.absorb(e);
    at(&mut s, 10, 17, 9);
    let now = s.now;
    let e = eng
        .rate(
            &mut s.app,
            APPLICANT,
            RatingRequest { level: RatingLevel::Satisfied, comment: None, departments: vec![] },
            now,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
    s.absorb(e);
    s.verify_history();

    // Every change of the application's own course was told to the applicant: the filing, each
    // item's start, progress, supplement request, approval, the lateness, the completion and the
    // rectification's opening and answer.
    let told = |kind: &str| s.applicant_notices().iter().filter(|n| n.kind == kind).count();
    assert_eq!(
        [
            told("submitted"),
            told("case_started"),
            told("case_progress"),
            told("supplement_requested"),
            told("case_approved"),
            told("overdue_applicant"),
            told("finished"),
            told("rectification_opened_applicant"),
            told("rectification_responded"),
        ],
        [1, 6, 5, 1, 7, 1, 1, 1, 1]
    );
    let actions_on_cases = s.history.iter().filter(|h| h.case.is_some() && h.actor.is_some()).count();
    assert_eq!(told("case_progress") + told("supplement_requested") + told("case_approved"), actions_on_cases);

    expect![[r#"
        09-26 09:00 applicant submitted: 【富阳政务】您的「出生一件事」申请已提交，共7个事项由相关部门并联办理，预计2025-10-11前办结。
        09-26 10:00 applicant case_progress: 【富阳政务】「出生医学证明首次签发」已受理，当前环节：审查中。
        09-26 18:00 dept:wjw:clerk deadline_warning: 【预警】「出生医学证明首次签发」将于2025-09-28到期（剩余1个工作日），请抓紧办理。
        09-28 11:00 applicant case_approved: 【富阳政务】「出生医学证明首次签发」已办结，已出具「出生医学证明」。
        09-28 11:00 applicant case_started: 【富阳政务】「出生登记（户口申报）」已由杭州市公安局富阳区分局开始办理，承诺2025-09-29前办结。
        09-28 11:00 applicant case_started: 【富阳政务】「新生儿参加城乡居民医保」已由杭州市富阳区医疗保障局开始办理，承诺2025-09-29前办结。
        09-28 11:00 applicant case_started: 【富阳政务】「预防接种证办理」已由杭州市富阳区卫生健康局开始办理，承诺2025-09-29前办结。
        09-28 11:00 applicant case_started: 【富阳政务】「生育津贴申领」已由杭州市富阳区医疗保障局开始办理，承诺2025-10-11前办结。
        09-28 14:00 applicant case_approved: 【富阳政务】「新生儿参加城乡居民医保」已办结，已出具「基本医疗保险参保信息」。
        09-28 15:00 applicant case_progress: 【富阳政务】「出生登记（户口申报）」已受理，当前环节：审查中。
        09-29 09:00 applicant supplement_requested: 【富阳政务】「出生登记（户口申报）」需要补正材料：请补充新生儿父母双方签字的户口申报表。补正期间暂停计时。
        09-29 10:00 applicant case_approved: 【富阳政务】「预防接种证办理」已办结，已出具「预防接种证」。
        09-29 16:00 applicant case_progress: 【富阳政务】「生育津贴申领」已受理，当前环节：审查中。
        10-09 09:00 applicant case_progress: 【富阳政务】「出生登记（户口申报）」已提交补正材料，当前环节：审查中。
        10-09 14:00 applicant case_approved: 【富阳政务】「出生登记（户口申报）」已办结，已出具「户籍登记信息（户口簿）」。
        10-09 14:00 applicant case_started: 【富阳政务】「社会保障卡申领（新生儿）」已由杭州市富阳区人力资源和社会保障局开始办理，承诺2025-10-13前办结。
        10-09 14:00 applicant case_started: 【富阳政务】「0—6岁儿童健康管理建档」已由杭州市富阳区卫生健康局开始办理，承诺2025-10-10前办结。
        10-10 08:00 dept:wjw:clerk deadline_warning: 【预警】「0—6岁儿童健康管理建档」将于2025-10-10到期（剩余0个工作日），请抓紧办理。
        10-10 08:00 dept:ybj:clerk deadline_warning: 【预警】「生育津贴申领」将于2025-10-11到期（剩余1个工作日），请抓紧办理。
        10-10 09:00 applicant case_approved: 【富阳政务】「0—6岁儿童健康管理建档」已办结，已出具「儿童健康档案」。
        10-13 09:00 dept:rsj:clerk deadline_warning: 【预警】「社会保障卡申领（新生儿）」将于2025-10-13到期（剩余0个工作日），请抓紧办理。
        10-13 09:00 dept:rsj:clerk state_overdue: 【预警】「社会保障卡申领（新生儿）」当前环节已超过时限（2025-10-10）。
        10-13 09:00 dept:ybj:supervisor overdue: 【督办】「生育津贴申领」已超过承诺时限（2025-10-11），请督促办理。
        10-13 09:00 applicant overdue_applicant: 【富阳政务】很抱歉，「生育津贴申领」未能在承诺时限内办结，已提请督办，我们将尽快办理。
        10-13 10:00 applicant case_progress: 【富阳政务】「社会保障卡申领（新生儿）」已受理，当前环节：审查中。
        10-13 10:00 applicant case_approved: 【富阳政务】「社会保障卡申领（新生儿）」已办结，已出具「社会保障卡」。
        10-14 09:00 applicant case_approved: 【富阳政务】「生育津贴申领」已办结，已出具「生育津贴核定信息」。
        10-14 09:00 applicant finished: 【富阳政务】您的「出生一件事」已全部办结。欢迎对本次服务进行评价（好差评）。
        10-15 09:00 dept:ybj:supervisor rectification_opened: 【差评整改】申请人给出「不满意」评价：生育津贴超期，请于2025-10-22前核实整改并答复。
        10-15 09:00 applicant rectification_opened_applicant: 【富阳政务】感谢您的评价，我们已转杭州市富阳区医疗保障局整改，将于2025-10-22前答复您。
        10-16 09:00 applicant rectification_responded: 【富阳政务】杭州市富阳区医疗保障局已就您的评价完成整改：已优化津贴审核流程。请您再次评价。
    "#]].assert_eq(&notice_lines(&s));
}
