//! Tiny hand-checkable catalogs: four departments, a chain A → B → C beside an independent
//! multi-level item D, and a diamond A → (B, E) → F.

use crate::harness::World;

pub const BASE: &str = r#"
[[department]]
code = "d1"
name = "甲局"
name_en = "Dept 1"

[[department]]
code = "d2"
name = "乙局"
name_en = "Dept 2"

[[department]]
code = "d3"
name = "丙局"
name_en = "Dept 3"

[[department]]
code = "d4"
name = "丁局"
name_en = "Dept 4"

[[record_type]]
code = "id_rec"
name = "居民身份证"
name_en = "ID card"
department = "d1"
subject = "person"

[[record_type]]
code = "rec_a"
name = "甲证"
name_en = "Record A"
department = "d1"
subject = "person"
validity_days = 30

[[record_type]]
code = "rec_b"
name = "乙证"
name_en = "Record B"
department = "d2"
subject = "person"

[[record_type]]
code = "rec_c"
name = "丙证"
name_en = "Record C"
department = "d3"
subject = "person"

[[record_type]]
code = "rec_d"
name = "丁证"
name_en = "Record D"
department = "d4"
subject = "person"

[[material]]
code = "id_card"
name = "身份证"
name_en = "ID card"
satisfied_by = "id_rec"

[[material]]
code = "a_m"
name = "甲证"
name_en = "Record A"
satisfied_by = "rec_a"

[[material]]
code = "b_m"
name = "乙证"
name_en = "Record B"
satisfied_by = "rec_b"

[[material]]
code = "up1"
name = "申请书"
name_en = "Application letter"
reusable = true

[[material]]
code = "up2"
name = "现场照片"
name_en = "Site photo"

[[workflow]]
code = "simple"
name = "简单流程"
name_en = "Simple"
start = "intake"
state = [
  { code = "intake", name = "待受理", name_en = "Intake", time_limit_days = 1 },
  { code = "review", name = "审查中", name_en = "Review" },
  { code = "supplement", name = "待补正", name_en = "Supplement", pauses_clock = true, time_limit_days = 3 },
  { code = "done", name = "已办结", name_en = "Done", outcome = "approved" },
  { code = "refused", name = "不予办理", name_en = "Refused", outcome = "rejected" },
]
action = [
  { code = "accept", name = "受理", name_en = "Accept", from = ["intake"], to = "review", roles = ["window", "clerk"] },
  { code = "request_supplement", name = "补正告知", name_en = "Ask for more", from = ["intake", "review"], to = "supplement", roles = ["clerk"], requires_comment = true },
  { code = "resubmit", name = "提交补正", name_en = "Resubmit", from = ["supplement"], to = "review", roles = ["applicant"] },
  { code = "approve", name = "办结", name_en = "Approve", from = ["review"], to = "done", roles = ["clerk"] },
  { code = "refuse", name = "不予办理", name_en = "Refuse", from = ["intake", "review", "supplement"], to = "refused", roles = ["clerk"], requires_comment = true },
]

[[workflow]]
code = "multi"
name = "三级审查"
name_en = "Three levels"
start = "intake"
state = [
  { code = "intake", name = "待受理", name_en = "Intake" },
  { code = "first", name = "初审", name_en = "First review", time_limit_days = 2 },
  { code = "second", name = "复审", name_en = "Second review", time_limit_days = 1 },
  { code = "final", name = "审批", name_en = "Approval" },
  { code = "done", name = "准予", name_en = "Granted", outcome = "approved" },
  { code = "refused", name = "不予", name_en = "Refused", outcome = "rejected" },
]
action = [
  { code = "accept", name = "受理", name_en = "Accept", from = ["intake"], to = "first", roles = ["window"] },
  { code = "pass_first", name = "初审通过", name_en = "Pass first", from = ["first"], to = "second", roles = ["clerk"] },
  { code = "pass_second", name = "复审通过", name_en = "Pass second", from = ["second"], to = "final", roles = ["reviewer"] },
  { code = "send_back", name = "退回初审", name_en = "Send back", from = ["second", "final"], to = "first", roles = ["reviewer", "approver"], requires_comment = true },
  { code = "grant", name = "准予", name_en = "Grant", from = ["final"], to = "done", roles = ["approver"] },
  { code = "refuse", name = "不予", name_en = "Refuse", from = ["intake", "first", "second", "final"], to = "refused", roles = ["clerk", "reviewer", "approver"], requires_comment = true },
]

[[item]]
code = "a"
name = "甲事项"
name_en = "Item A"
department = "d1"
subject = "person"
legal_days = 5
promised_days = 2
levels = ["district"]
online = true
visits = 1
workflow = "simple"
materials = ["id_card", "up1"]
outputs = ["rec_a"]
field = [
  { key = "note", label = "备注", label_en = "Note", type = "text", max_len = 10, required = false, reuse = true },
]

[[item]]
code = "b"
name = "乙事项"
name_en = "Item B"
department = "d2"
subject = "person"
legal_days = 6
promised_days = 3
levels = ["district"]
online = true
visits = 2
workflow = "simple"
materials = ["a_m", "up2"]
outputs = ["rec_b"]
field = [
  { key = "when", label = "日期", label_en = "Date", type = "date" },
]

[[item]]
code = "c"
name = "丙事项"
name_en = "Item C"
department = "d3"
subject = "person"
legal_days = 2
promised_days = 1
levels = ["district"]
online = false
visits = 1
workflow = "simple"
materials = ["b_m", "up1"]
outputs = ["rec_c"]

[[item]]
code = "d"
name = "丁事项"
name_en = "Item D"
department = "d4"
subject = "person"
legal_days = 8
promised_days = 4
levels = ["district"]
online = true
visits = 1
workflow = "multi"
materials = ["id_card"]
outputs = ["rec_d"]

[[item]]
code = "e"
name = "戊事项"
name_en = "Item E"
department = "d4"
subject = "person"
legal_days = 4
promised_days = 2
levels = ["district"]
online = true
visits = 1
workflow = "simple"
materials = ["a_m"]

[[item]]
code = "f"
name = "己事项"
name_en = "Item F"
department = "d3"
subject = "person"
legal_days = 3
promised_days = 1
levels = ["district"]
online = true
visits = 1
workflow = "simple"
materials = ["b_m"]
"#;

pub const BUNDLES: &str = r#"
[[bundle]]
code = "chain"
name = "链式一件事"
name_en = "Chain"
stage = "medical"
subject = "person"
items = ["a", "b", "c", "d"]
on_reject = "continue"
field = [
  { key = "phone", label = "联系电话", label_en = "Phone", type = "phone", reuse = true },
]
  [[bundle.prerequisite]]
  item = "b"
  after = ["a"]
  [[bundle.prerequisite]]
  item = "c"
  after = ["b"]

[[bundle]]
code = "chain-fail"
name = "整件退回一件事"
name_en = "Chain, failing"
stage = "medical"
subject = "person"
items = ["a", "b", "c", "d"]
on_reject = "fail_bundle"
  [[bundle.prerequisite]]
  item = "b"
  after = ["a"]
  [[bundle.prerequisite]]
  item = "c"
  after = ["b"]

[[bundle]]
code = "diamond"
name = "菱形一件事"
name_en = "Diamond"
stage = "medical"
subject = "person"
items = ["f", "e", "b", "a"]
  [[bundle.prerequisite]]
  item = "b"
  after = ["a"]
  [[bundle.prerequisite]]
  item = "e"
  after = ["a"]
  [[bundle.prerequisite]]
  item = "f"
  after = ["b", "e"]
"#;

pub fn world() -> World {
    World::inline(&[BASE, BUNDLES])
}
