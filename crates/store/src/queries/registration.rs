//! Real-name registration: the challenges of registration codes sent to phones (with the notice
//! that sends the code, in one commit), the claim codes of accounts a window opened, claiming
//! such an account, and the guardians of minors by the household register (`pool::guardian`).

use crate::handles::*;
use chrono::{DateTime, NaiveDate, Utc};
use domain::AccountId;
use pool::guardian::{self, Member};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::codec::{self, Value};
use crate::queries::people::person_from_row;
use crate::writer::insert_rows;
use crate::{Person, Result, Store};

/// A code kept as the SHA-256 of a salt and the code (both hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCode {
    pub salt: String,
    /// Empty: no code matches.
    pub code_hash: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl StoredCode {
    /// Not used and not expired at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

/// The account whose login is a resident's ID number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAccount {
    pub id: AccountId,
    /// Opened at a window and never registered: no usable password (`'!'`), not disabled.
    pub unclaimed: bool,
    /// Its claim code, if one was ever issued.
    pub claim: Option<StoredCode>,
}

/// What registration needs to know about an ID number: the resident, and their account if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationSubject {
    pub person: Person,
    pub account: Option<LoginAccount>,
}

/// A request for a registration code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: i64,
    pub id_number: String,
    pub phone: String,
    pub created_at: DateTime<Utc>,
    pub code: StoredCode,
    /// Wrong codes tried so far.
    pub failures: i64,
}

/// A notice that belongs to no application (`application_id` 0): (id, recipient, kind, text_zh,
/// text_en), as `Store::queue_plain_notices` takes it.
pub type PlainNotice = (i64, String, String, String, String);

/// Which number a limit on code requests counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKey {
    IdNumber,
    Phone,
}

/// A minor in a guardian's care, by the household register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ward {
    pub id_number: String,
    pub name: String,
    pub birth_date: NaiveDate,
}

const CHALLENGE_COLUMNS: &[&str] = &["id", "id_number", "phone", "salt", "code_hash", "created_at", "expires_at", "failures"];

fn challenge_from_row(r: &AnyRow) -> Result<Challenge> {
    Ok(Challenge {
        id: r.try_get("id")?,
        id_number: r.try_get("id_number")?,
        phone: r.try_get("phone")?,
        created_at: codec::parse_ts(&r.try_get::<String, _>("created_at")?)?,
        code: StoredCode {
            salt: r.try_get("salt")?,
            code_hash: r.try_get("code_hash")?,
            expires_at: codec::parse_ts(&r.try_get::<String, _>("expires_at")?)?,
            used_at: codec::parse_ts_opt(r.try_get("used_at")?)?,
        },
        failures: r.try_get("failures")?,
    })
}

fn member(p: &Person) -> Member {
    Member { id_number: p.id_number.clone(), name: p.name.clone(), birth_date: p.birth_date, relation: p.relation.clone() }
}

impl IdentityQueries<'_> {
    /// The resident with this ID number and the account whose login it is, with that account's
    /// claim code: one look-up, whatever exists.
    pub async fn registration_subject(self, id_number: &str) -> Result<Option<RegistrationSubject>> {
        let row = sqlx::query(
            "SELECT p.*, a.id AS account_id, a.password_hash AS account_password, a.disabled AS account_disabled,
                    c.salt AS claim_salt, c.code_hash AS claim_hash, c.expires_at AS claim_expires, c.used_at AS claim_used
               FROM person p LEFT JOIN account a ON a.login = p.id_number LEFT JOIN claim_code c ON c.account_id = a.id
              WHERE p.id_number = $1",
        )
        .bind(id_number)
        .fetch_optional(self.read_pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let person = person_from_row(&r)?;
        let account = match r.try_get::<Option<i64>, _>("account_id")? {
            None => None,
            Some(id) => {
                let password: String = r.try_get("account_password")?;
                let disabled: i64 = r.try_get("account_disabled")?;
                let claim = match r.try_get::<Option<String>, _>("claim_salt")? {
                    None => None,
                    Some(salt) => Some(StoredCode {
                        salt,
                        code_hash: r.try_get("claim_hash")?,
                        expires_at: codec::parse_ts(&r.try_get::<String, _>("claim_expires")?)?,
                        used_at: codec::parse_ts_opt(r.try_get("claim_used")?)?,
                    }),
                };
                Some(LoginAccount { id: AccountId(id), unclaimed: password == "!" && disabled == 0, claim })
            }
        };
        Ok(Some(RegistrationSubject { person, account }))
    }

    /// When the code requests for this ID number (or phone) since `since` were made, oldest first.
    pub async fn challenge_times(self, key: ChallengeKey, value: &str, since: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>> {
        let sql = match key {
            ChallengeKey::IdNumber => "SELECT created_at FROM registration_challenge WHERE id_number = $1 AND created_at > $2 ORDER BY created_at",
            ChallengeKey::Phone => "SELECT created_at FROM registration_challenge WHERE phone = $1 AND created_at > $2 ORDER BY created_at",
        };
        let rows = sqlx::query(sql).bind(value).bind(codec::ts(since)).fetch_all(self.read_pool()).await?;
        rows.iter().map(|r| codec::parse_ts(&r.try_get::<String, _>("created_at")?)).collect()
    }

    /// Stores a challenge and, when a code is sent, the notice that sends it, in one commit.
    pub async fn create_challenge(self, c: &Challenge, notice: Option<&PlainNotice>) -> Result<()> {
        let row = vec![
            Value::I(c.id),
            Value::S(c.id_number.clone()),
            Value::S(c.phone.clone()),
            Value::S(c.code.salt.clone()),
            Value::S(c.code.code_hash.clone()),
            Value::S(codec::ts(c.created_at)),
            Value::S(codec::ts(c.code.expires_at)),
            Value::I(c.failures),
        ];
        let mut tx = self.write_pool().begin().await?;
        insert_rows(&mut tx, "registration_challenge", CHALLENGE_COLUMNS, &[row], "").await?;
        if let Some(n) = notice {
            let row = super::datapool::plain_notice_values(n, &codec::ts(c.created_at));
            insert_rows(&mut tx, "notice", super::datapool::PLAIN_NOTICE_COLUMNS, &[row], "").await?;
        }
        tx.commit().await?;
        self.flushed(()).await
    }

    /// The last challenge for this ID number and phone, whatever its state.
    pub async fn latest_challenge(self, id_number: &str, phone: &str) -> Result<Option<Challenge>> {
        let row = sqlx::query(
            "SELECT * FROM registration_challenge WHERE id_number = $1 AND phone = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(id_number)
        .bind(phone)
        .fetch_optional(self.read_pool())
        .await?;
        row.as_ref().map(challenge_from_row).transpose()
    }

    /// Counts a wrong code against a challenge.
    pub async fn challenge_failed(self, id: i64) -> Result<()> {
        sqlx::query("UPDATE registration_challenge SET failures = failures + 1 WHERE id = $1 AND used_at IS NULL")
            .bind(id)
            .execute(self.write_pool())
            .await?;
        self.flushed(()).await
    }

    /// Uses up a challenge whose code was right: false if it was used, void (`max_failures` wrong
    /// codes) or expired meanwhile, so that a code works once even when sent twice at once.
    pub async fn use_challenge(self, id: i64, now: DateTime<Utc>, max_failures: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE registration_challenge SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND failures < $3 AND expires_at > $1",
        )
        .bind(codec::ts(now))
        .bind(id)
        .bind(max_failures)
        .execute(self.write_pool())
        .await?
        .rows_affected();
        self.flushed(n == 1).await
    }

    /// Removes the challenges made before `before`; returns how many.
    pub async fn purge_challenges(self, before: DateTime<Utc>) -> Result<u64> {
        let r = sqlx::query("DELETE FROM registration_challenge WHERE created_at < $1").bind(codec::ts(before)).execute(self.write_pool()).await?;
        self.flushed(r.rows_affected()).await
    }

    /// Issues a claim code for an account. With `replace`, it replaces any earlier code (a lost
    /// slip); without, it is stored only if the account has no live code, and the answer says
    /// whether it was.
    #[allow(clippy::too_many_arguments)]
    pub async fn issue_claim_code(
        &self,
        account: AccountId,
        salt: &str,
        code_hash: &str,
        issued_by: AccountId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        replace: bool,
    ) -> Result<bool> {
        let tail = if replace {
            ""
        } else {
            " WHERE claim_code.used_at IS NOT NULL OR claim_code.expires_at <= excluded.created_at"
        };
        let sql = format!(
            "INSERT INTO claim_code (account_id, salt, code_hash, issued_by, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)
             ON CONFLICT (account_id) DO UPDATE SET salt = excluded.salt, code_hash = excluded.code_hash, issued_by = excluded.issued_by,
                created_at = excluded.created_at, expires_at = excluded.expires_at, used_at = NULL{tail}"
        );
        let n = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account.0)
            .bind(salt)
            .bind(code_hash)
            .bind(issued_by.0)
            .bind(codec::ts(now))
            .bind(codec::ts(expires_at))
            .execute(self.write_pool())
            .await?
            .rows_affected();
        self.flushed(n == 1).await
    }

    /// Claims an account a window opened: uses up its claim code (the one whose hash is
    /// `claim_hash`, still live) and sets its password and phone, in one commit. False, with
    /// nothing changed, if the account was claimed or the code used, replaced or expired meanwhile.
    pub async fn claim_account(self, account: AccountId, claim_hash: &str, password_hash: &str, phone: &str, now: DateTime<Utc>) -> Result<bool> {
        let now = codec::ts(now);
        let mut tx = self.write_pool().begin().await?;
        let used = sqlx::query("UPDATE claim_code SET used_at = $1 WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL AND expires_at > $1")
            .bind(now.clone())
            .bind(account.0)
            .bind(claim_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let set = sqlx::query("UPDATE account SET password_hash = $1, phone = $2 WHERE id = $3 AND password_hash = '!' AND disabled = 0")
            .bind(password_hash)
            .bind(phone)
            .bind(account.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if used != 1 || set != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        self.flushed(true).await
    }

    /// The minors in the care of the resident with this ID number on `today`, by the household
    /// register (`pool::guardian`), oldest first.
    pub async fn wards_of(self, guardian_id_number: &str, today: NaiveDate) -> Result<Vec<Ward>> {
        let members = self.household_of(guardian_id_number).await?;
        let Some(me) = members.iter().find(|m| m.id_number == guardian_id_number) else { return Ok(Vec::new()) };
        Ok(guardian::wards_of(me, &members, today)
            .into_iter()
            .map(|w| Ward { id_number: w.id_number.clone(), name: w.name.clone(), birth_date: w.birth_date })
            .collect())
    }

    /// Whether the first resident is a guardian of the second on `today`, by the household
    /// register.
    pub async fn is_guardian(self, guardian_id_number: &str, ward_id_number: &str, today: NaiveDate) -> Result<bool> {
        let members = self.household_of(guardian_id_number).await?;
        let me = members.iter().find(|m| m.id_number == guardian_id_number);
        let ward = members.iter().find(|m| m.id_number == ward_id_number);
        Ok(matches!((me, ward), (Some(g), Some(w)) if guardian::is_guardian_of(g, w, today)))
    }
}

impl Store {

    /// The members of the household of the resident with this ID number (none if unknown).
    async fn household_of(&self, id_number: &str) -> Result<Vec<Member>> {
        let rows = sqlx::query("SELECT * FROM person WHERE household = (SELECT household FROM person WHERE id_number = $1) ORDER BY birth_date, id")
            .bind(id_number)
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(|r| person_from_row(r).map(|p| member(&p))).collect()
    }
}
