//! The notice outbox: reading a recipient's notices, and the delivery worker's claim, success and
//! retry bookkeeping.

use crate::handles::*;
use chrono::{DateTime, Utc};
use domain::{ApplicationId, CaseId, NoticeId};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::codec;
use crate::queries::cases::Page;
use crate::Result;
use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub id: NoticeId,
    pub recipient: String,
    pub kind: String,
    pub application: ApplicationId,
    pub case: Option<CaseId>,
    pub text_zh: String,
    pub text_en: String,
    pub created_at: DateTime<Utc>,
    pub status: String,
    pub attempts: i64,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Marks notices delivered, as a job of the writer.
struct Delivered {
    ids: Vec<NoticeId>,
    at: DateTime<Utc>,
}

impl crate::Job for Delivered {
    type Output = ();
    fn route(&self) -> u64 {
        0
    }
    fn run(&mut self, uow: &mut crate::UnitOfWork) {
        uow.delivered(&self.ids, self.at);
    }
}

fn notice_from_row(r: &AnyRow) -> Result<Notice> {
    Ok(Notice {
        id: NoticeId(r.try_get("id")?),
        recipient: r.try_get("recipient")?,
        kind: r.try_get("kind")?,
        application: ApplicationId(r.try_get("application_id")?),
        case: r.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
        text_zh: r.try_get("text_zh")?,
        text_en: r.try_get("text_en")?,
        created_at: codec::parse_ts(&r.try_get::<String, _>("created_at")?)?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        delivered_at: codec::parse_ts_opt(r.try_get("delivered_at")?)?,
    })
}

/// Counts of the outbox by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

pub(crate) const OUTBOX_COUNTS: &str = "SELECT (SELECT COUNT(*) FROM notice) AS total,
    (SELECT COUNT(*) FROM notice WHERE status = 'pending' AND next_attempt_at >= '') AS pending,
    (SELECT COUNT(*) FROM notice WHERE status = 'failed' AND next_attempt_at >= '') AS failed";

impl NoticeQueries<'_> {
    /// Notices addressed to any of `recipients` (e.g. `account:1`, `dept:ga:clerk`), newest first.
    pub async fn notices_for(self, recipients: &[String], page: Page) -> Result<Vec<Notice>> {
        // A notice to an account is about an application the account filed as applicant, or about
        // none (application_id 0); the others have an index of their own (migration 0006).
        let account = recipients.iter().find_map(|k| k.strip_prefix("account:")?.parse::<i64>().ok()).unwrap_or(-1);
        let mut keys = recipients.iter().cloned();
        let keys: Vec<String> = (0..4).map(|_| keys.next().unwrap_or_default()).collect();
        let rows = sqlx::query(
            "SELECT * FROM (
                 SELECT n.* FROM application a JOIN notice n ON n.application_id = a.id
                  WHERE a.applicant_account = $1 AND n.recipient = $2
                 UNION ALL
                 SELECT * FROM notice WHERE recipient IN ($3, $4, $5, $6)
                    AND (recipient NOT LIKE 'account:%' OR application_id = 0)
             ) inbox ORDER BY created_at DESC, id DESC LIMIT $7 OFFSET $8",
        )
        .bind(account)
        .bind(format!("account:{account}"))
        .bind(keys[0].clone())
        .bind(keys[1].clone())
        .bind(keys[2].clone())
        .bind(keys[3].clone())
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(self.read_pool())
        .await?;
        rows.iter().map(notice_from_row).collect()
    }

    pub async fn notices_of_application(self, app: ApplicationId) -> Result<Vec<Notice>> {
        let rows = sqlx::query("SELECT * FROM notice WHERE application_id = $1 ORDER BY created_at, id")
            .bind(app.0)
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(notice_from_row).collect()
    }

    /// Leases up to `limit` pending notices that are due to this server (its holder token), so
    /// that no other worker takes them until `lease_until`.
    pub async fn claim_notices(self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> Result<Vec<Notice>> {
        let now = codec::ts(now);
        let rows = sqlx::query(
            "UPDATE notice SET lease_until = $1, lease_holder = $4
             WHERE id IN (SELECT id FROM notice WHERE status = 'pending' AND next_attempt_at <= $2
                            AND (lease_until IS NULL OR lease_until < $2)
                          ORDER BY next_attempt_at, id LIMIT $3)
               AND status = 'pending' AND (lease_until IS NULL OR lease_until < $2)
             RETURNING *",
        )
        .bind(codec::ts(lease_until))
        .bind(now)
        .bind(limit)
        .bind(self.holder())
        .fetch_all(self.write_pool())
        .await?;
        let mut out: Vec<Notice> = rows.iter().map(notice_from_row).collect::<Result<_>>()?;
        out.sort_by_key(|n| (n.created_at, n.id));
        self.flushed(out).await
    }

    /// Marks notices delivered, through the writer: on SQLite the outbox's bookkeeping then rides
    /// on the writer's batches instead of being a transaction of its own on another connection
    /// (which would also empty the writer's page cache each time).
    pub async fn mark_delivered(self, ids: &[NoticeId], at: DateTime<Utc>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.run(Delivered { ids: ids.to_vec(), at }).await
    }

    /// The notices of every change from now on, handed over as soon as they are durable and
    /// leased to the receiver for `lease` (see [`crate::writer`]); the outbox worker delivers
    /// these without polling for them. One receiver at a time: a new one replaces the last.
    pub fn notice_feed(self, lease: chrono::Duration) -> tokio::sync::mpsc::UnboundedReceiver<Vec<Notice>> {
        self.writer.notice_feed(lease, self.holder())
    }

    /// Records a failed attempt; after `give_up` attempts the notice is marked failed. Fenced: only
    /// while this server still holds the notice's lease (a server whose lease ran out, and whose
    /// notice another server has taken since, changes nothing). Whether it was recorded.
    pub async fn mark_attempt_failed(self, id: NoticeId, error: &str, next_attempt: DateTime<Utc>, give_up: bool) -> Result<bool> {
        let error: String = error.chars().take(500).collect();
        let r = sqlx::query(
            "UPDATE notice SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, lease_until = NULL,
                    status = CASE WHEN $3 = 1 THEN 'failed' ELSE status END
             WHERE id = $4 AND status = 'pending' AND lease_holder = $5",
        )
        .bind(error)
        .bind(codec::ts(next_attempt))
        .bind(i64::from(give_up))
        .bind(id.0)
        .bind(self.holder())
        .execute(self.write_pool())
        .await
        .map_err(StoreError::from);
        self.saw_write(&r);
        let r = r?;
        self.flushed(r.rows_affected() == 1).await
    }

    /// Marks every pending notice created before `before` as delivered at its creation time
    /// (notices of a simulated past, which were never meant to be sent now).
    pub async fn mark_history_delivered(self, before: DateTime<Utc>) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE notice SET status = 'delivered', delivered_at = created_at, attempts = 1 WHERE status = 'pending' AND created_at < $1",
        )
        .bind(codec::ts(before))
        .execute(self.write_pool())
        .await?;
        self.flushed(r.rows_affected()).await
    }

    /// Notices pending, delivered and failed, counted without reading the notices: pending and
    /// failed ones through their partial indexes (a condition on `next_attempt_at` lets the planner
    /// use them), the rest delivered.
    pub async fn outbox_counts(self) -> Result<OutboxCounts> {
        let r = sqlx::query(OUTBOX_COUNTS).fetch_one(self.read_pool()).await?;
        let (total, pending, failed): (i64, i64, i64) = (r.try_get("total")?, r.try_get("pending")?, r.try_get("failed")?);
        Ok(OutboxCounts { pending, delivered: total - pending - failed, failed })
    }
}
