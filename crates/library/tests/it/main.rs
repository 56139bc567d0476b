//! The library engine as an outsider uses it, through its public API only: the demo's story —
//! holdings imported from MARC, a reader borrowing three books with free delivery in the free
//! delivery month and two with a 3-yuan fee after it, a hold, a renewal refused, a return at
//! another branch travelling home to the next reader — and the cockpit's figures of it.

#![allow(clippy::unwrap_used)]

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::TimeZone;
use chrono::Utc;
use domain::Describe;
use domain::Fen;
use library::BranchCode;
use library::Catalogue;
use library::FeeRules;
use library::Holds;
use library::Isbn;
use library::LibraryRules;
use library::ReaderId;
use library::ShelfStatus;
use library::catalogue::embedded_branches;
use library::fees::quote;
use library::figures::figures;
use library::holds::CheckIn;
use library::loan::Return;
use library::order::Destination;
use library::order::ReaderFacts;
use library::order::Wanted;
use library::order::place;
use library::order::plan;

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn title(isbn: &str) -> Wanted {
    Wanted::Title(Isbn::parse(isbn).unwrap())
}

#[test]
fn a_resident_borrows_with_free_delivery_then_pays_3_yuan_and_a_return_goes_to_the_next_hold() {
    let rules = LibraryRules::embedded().unwrap();
    let fees = FeeRules::embedded().unwrap();
    let mut cat = Catalogue::new(embedded_branches().unwrap()).unwrap();
    let report = cat.import_marc(library::data::SAMPLE_MRC).unwrap();
    assert_eq!(report.titles_added, 10);
    let mut holds = Holds::new();
    let mut loans = Vec::new();
    let mut orders = Vec::new();
    let wang = ReaderId::parse("330183199001011234").unwrap();
    let li = ReaderId::parse("330183198502021111").unwrap();
    let home = Destination::Home { lat: 30.052, lon: 119.951 };

    // 7 December 2026, in the free delivery month: three books, free.
    let now = at(2026, 12, 7, 2);
    let want = [title("9787020002207"), title("9787506365437"), title("9787536692930")];
    let facts = ReaderFacts::of(&wang, &loans, &orders, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
    let p = plan(&cat, &rules, &facts, &want, &home).unwrap();
    let q = quote(&fees, p.books, domain::china_date(now), home.handover()).unwrap();
    assert_eq!((q.fee_fen, q.waived_fen, q.label.as_deref()), (Fen(0), Fen(300), Some("免运费")));
    let mut placed = place(&mut cat, &mut holds, &p, "WEB-0001", &wang, Some(&q), now).unwrap();
    assert_eq!(placed.orders.len(), 1);
    let o = &mut placed.orders[0];
    o.start_picking(at(2026, 12, 7, 3)).unwrap();
    o.pack(at(2026, 12, 7, 3)).unwrap();
    o.hand_to_courier(at(2026, 12, 7, 4)).unwrap();
    loans.extend(o.deliver(&mut cat, at(2026, 12, 7, 8), &rules).unwrap());
    orders.extend(placed.orders);

    // 李 wants 活着 too; its other copy (at 东洲) has been lost, so no copy is free.
    let dz_copy = cat.copies_of(&Isbn::parse("9787506365437").unwrap()).find(|c| c.status == ShelfStatus::OnShelf).unwrap().barcode.clone();
    cat.set_status(&dz_copy, ShelfStatus::Lost).unwrap();
    let facts = ReaderFacts::of(&li, &loans, &orders, NaiveDate::from_ymd_opt(2026, 12, 8).unwrap());
    let p = plan(&cat, &rules, &facts, &[title("9787506365437")], &home).unwrap();
    assert_eq!((p.books, p.holds.len()), (0, 1));
    // Nothing is sent: 李 joins the queue for it, with no fee.
    let placed = place(&mut cat, &mut holds, &p, "WEB-0002", &li, None, at(2026, 12, 8, 1)).unwrap();
    assert!(placed.orders.is_empty());
    let held = placed.holds[0].clone();
    assert_eq!(holds.position(&held), Some(1));

    // 王 cannot renew 活着 while 李 waits for it.
    let huozhe = loans.iter_mut().find(|l| l.isbn.as_str() == "9787506365437").unwrap();
    let e = huozhe.renew(NaiveDate::from_ymd_opt(2026, 12, 30).unwrap(), &holds, &rules).unwrap_err();
    assert_eq!(e.code(), "renewal_of_held_book");

    // 王 hands it in at 东洲 (the copy belongs elsewhere): in transit back, then to 李.
    let owner = huozhe.branch.clone();
    let mut ret = Return::at_desk(huozhe, &BranchCode::parse("FY-DZ").unwrap(), &mut cat, &mut holds, at(2026, 12, 20, 2), &rules).unwrap();
    assert_eq!(ret.state.code(), "in_transit");
    let out = ret.check_in(&owner, &mut cat, &mut holds, at(2026, 12, 21, 2), &rules).unwrap();
    assert!(matches!(out, CheckIn::Hold { ref hold, ref reader, .. } if *hold == held && *reader == li));
    loans.push(holds.collect(&mut cat, &held, &li, at(2026, 12, 22, 2), &rules).unwrap());

    // 3 January 2027: a courier picks up 王's other two books at home; they travel back and are shelved.
    for l in loans.iter_mut().filter(|l| l.reader == wang && l.is_open()) {
        let mut ret = Return::request_pickup(l, at(2027, 1, 3, 1)).unwrap();
        ret.picked_up(l, &mut cat, at(2027, 1, 3, 5)).unwrap();
        ret.send(at(2027, 1, 3, 6)).unwrap();
        let owner = l.branch.clone();
        assert_eq!(ret.check_in(&owner, &mut cat, &mut holds, at(2027, 1, 4, 2), &rules).unwrap(), CheckIn::Shelf);
    }

    // 10 January 2027, after the promotion: two books cost 3 yuan.
    let now = at(2027, 1, 10, 2);
    let facts = ReaderFacts::of(&wang, &loans, &orders, domain::china_date(now));
    let p = plan(&cat, &rules, &facts, &[title("9787020090006"), title("9787101138702")], &home).unwrap();
    let q = quote(&fees, p.books, domain::china_date(now), home.handover()).unwrap();
    assert_eq!((q.fee_fen, q.label.as_deref()), (Fen(300), None));
    orders.extend(place(&mut cat, &mut holds, &p, "WEB-0003", &wang, Some(&q), now).unwrap().orders);

    // The cockpit for December and for January.
    let dec = figures(&orders, &loans, &holds, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
    assert_eq!((dec.requests, dec.new_readers, dec.fees_charged, dec.fees_waived, dec.requests_free), (1, 1, Fen(0), Fen(300), 1));
    assert_eq!((dec.loans_started, dec.holds_waiting), (4, 0));
    let jan = figures(&orders, &loans, &holds, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
    assert_eq!((jan.requests, jan.new_readers, jan.fees_charged, jan.fees_waived), (1, 0, Fen(300), Fen(0)));
    assert_eq!(jan.to_pick.values().sum::<u32>(), 1);
}
