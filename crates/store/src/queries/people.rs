//! Accounts, sessions, and the registers of divisions, persons (人口库) and enterprises (法人库).

use crate::handles::*;
use std::str::FromStr;

use catalog::Role;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{AccountId, EnterpriseId, HouseholdId, PersonId};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::codec::{self, Value};
use crate::writer::insert_rows;
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A resident, logging in with their ID number.
    Citizen,
    /// An agent acting for an enterprise.
    Enterprise,
    /// Government staff: window clerks, department clerks, supervisors, administrators.
    Staff,
}

impl AccountKind {
    pub fn code(self) -> &'static str {
        match self {
            AccountKind::Citizen => "citizen",
            AccountKind::Enterprise => "enterprise",
            AccountKind::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<AccountKind> {
        match s {
            "citizen" => Some(AccountKind::Citizen),
            "enterprise" => Some(AccountKind::Enterprise),
            "staff" => Some(AccountKind::Staff),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub login: String,
    pub display_name: String,
    pub kind: AccountKind,
    pub roles: Vec<Role>,
    pub person_id: Option<PersonId>,
    pub enterprise_id: Option<EnterpriseId>,
    /// The department of staff accounts.
    pub department: Option<String>,
    /// The division a staff member's work is limited to (a town centre), if any.
    pub division: Option<String>,
    pub phone: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl Account {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A new account; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub login: String,
    pub password_hash: String,
    pub display_name: String,
    pub kind: AccountKind,
    pub roles: Vec<Role>,
    pub person_id: Option<PersonId>,
    pub enterprise_id: Option<EnterpriseId>,
    pub department: Option<String>,
    pub division: Option<String>,
    pub phone: Option<String>,
    pub created_at: DateTime<Utc>,
}

const ACCOUNT_COLUMNS: &[&str] = &[
    "id", "login", "password_hash", "display_name", "kind", "roles", "person_id", "enterprise_id",
    "department", "division", "phone", "disabled", "created_at",
];

fn account_values(a: &NewAccount) -> Vec<Value> {
    vec![
        Value::I(a.id.0),
        Value::S(a.login.clone()),
        Value::S(a.password_hash.clone()),
        Value::S(a.display_name.clone()),
        Value::S(a.kind.code().into()),
        Value::S(a.roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")),
        Value::OptI(a.person_id.map(|p| p.0)),
        Value::OptI(a.enterprise_id.map(|e| e.0)),
        Value::OptS(a.department.clone()),
        Value::OptS(a.division.clone()),
        Value::OptS(a.phone.clone()),
        Value::I(0),
        Value::S(codec::ts(a.created_at)),
    ]
}

fn account_from_row(r: &AnyRow) -> Result<Account> {
    let kind: String = r.try_get("kind")?;
    let roles: String = r.try_get("roles")?;
    Ok(Account {
        id: AccountId(r.try_get("id")?),
        login: r.try_get("login")?,
        display_name: r.try_get("display_name")?,
        kind: AccountKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("account kind {kind}")))?,
        roles: roles.split(',').filter(|s| !s.is_empty()).filter_map(|s| Role::from_str(s).ok()).collect(),
        person_id: r.try_get::<Option<i64>, _>("person_id")?.map(PersonId),
        enterprise_id: r.try_get::<Option<i64>, _>("enterprise_id")?.map(EnterpriseId),
        department: r.try_get("department")?,
        division: r.try_get("division")?,
        phone: r.try_get("phone")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        created_at: codec::parse_ts(&r.try_get::<String, _>("created_at")?)?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub id_number: String,
    pub name: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    /// The village or community of household registration.
    pub division: String,
    pub phone: Option<String>,
    pub household: HouseholdId,
    /// Relation to the head of household: 户主, 配偶, 子, 女, 父母, …
    pub relation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enterprise {
    pub id: EnterpriseId,
    pub credit_code: String,
    pub name: String,
    pub legal_rep: PersonId,
    pub division: String,
    pub kind: String,
    pub established_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent: Option<String>,
}

pub(crate) fn person_from_row(r: &AnyRow) -> Result<Person> {
    Ok(Person {
        id: PersonId(r.try_get("id")?),
        id_number: r.try_get("id_number")?,
        name: r.try_get("name")?,
        sex: r.try_get("sex")?,
        birth_date: codec::parse_date(&r.try_get::<String, _>("birth_date")?)?,
        division: r.try_get("division")?,
        phone: r.try_get("phone")?,
        household: HouseholdId(r.try_get("household")?),
        relation: r.try_get("relation")?,
    })
}

fn enterprise_from_row(r: &AnyRow) -> Result<Enterprise> {
    Ok(Enterprise {
        id: EnterpriseId(r.try_get("id")?),
        credit_code: r.try_get("credit_code")?,
        name: r.try_get("name")?,
        legal_rep: PersonId(r.try_get("legal_rep")?),
        division: r.try_get("division")?,
        kind: r.try_get("kind")?,
        established_on: codec::parse_date(&r.try_get::<String, _>("established_on")?)?,
    })
}

impl IdentityQueries<'_> {
    /// Creates accounts; a login that exists already is a `Duplicate` error and nothing is written.
    pub async fn insert_accounts(self, accounts: &[NewAccount]) -> Result<()> {
        let rows: Vec<Vec<Value>> = accounts.iter().map(account_values).collect();
        let mut tx = self.write_pool().begin().await?;
        match insert_rows(&mut tx, "account", ACCOUNT_COLUMNS, &rows, "").await {
            Ok(_) => {}
            Err(e) if e.is_unique_violation() => {
                return Err(StoreError::Duplicate("account login".into()));
            }
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        self.flushed(()).await
    }

    /// The account with this login and its password hash.
    pub async fn account_for_login(self, login: &str) -> Result<Option<(Account, String)>> {
        let row = sqlx::query("SELECT * FROM account WHERE login = $1")
            .bind(login)
            .fetch_optional(self.read_pool())
            .await?;
        row.map(|r| Ok((account_from_row(&r)?, r.try_get("password_hash")?))).transpose()
    }

    /// Sets the password of an account (claiming one created at a window without a password).
    pub async fn set_password(self, id: AccountId, password_hash: &str) -> Result<()> {
        sqlx::query("UPDATE account SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.0)
            .execute(self.write_pool())
            .await?;
        self.flushed(()).await
    }

    pub async fn account(self, id: AccountId) -> Result<Option<Account>> {
        let row = sqlx::query("SELECT * FROM account WHERE id = $1").bind(id.0).fetch_optional(self.read_pool()).await?;
        row.as_ref().map(account_from_row).transpose()
    }

    /// Accounts of a person or an enterprise (to address notices and check ownership).
    pub async fn accounts_of_subject(self, person: Option<PersonId>, enterprise: Option<EnterpriseId>) -> Result<Vec<Account>> {
        let rows = sqlx::query("SELECT * FROM account WHERE person_id = $1 OR enterprise_id = $2 ORDER BY id")
            .bind(person.map(|p| p.0).unwrap_or(-1))
            .bind(enterprise.map(|e| e.0).unwrap_or(-1))
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(account_from_row).collect()
    }

    /// Staff accounts, optionally of one department.
    pub async fn staff(self, department: Option<&str>) -> Result<Vec<Account>> {
        let rows = sqlx::query(
            "SELECT * FROM account WHERE kind = 'staff' AND ($1 = '' OR department = $1) ORDER BY department, login",
        )
        .bind(department.unwrap_or(""))
        .fetch_all(self.read_pool())
        .await?;
        rows.iter().map(account_from_row).collect()
    }

    pub async fn create_session(self, token_hash: &str, account: AccountId, now: DateTime<Utc>, expires: DateTime<Utc>) -> Result<()> {
        sqlx::query("INSERT INTO session (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(account.0)
            .bind(codec::ts(now))
            .bind(codec::ts(expires))
            .execute(self.write_pool())
            .await?;
        self.flushed(()).await
    }

    /// The account behind a live session.
    pub async fn session_account(self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(Account, DateTime<Utc>)>> {
        let row = sqlx::query(
            "SELECT a.*, s.expires_at AS session_expires FROM session s JOIN account a ON a.id = s.account_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled = 0",
        )
        .bind(token_hash)
        .bind(codec::ts(now))
        .fetch_optional(self.read_pool())
        .await?;
        row.map(|r| Ok((account_from_row(&r)?, codec::parse_ts(&r.try_get::<String, _>("session_expires")?)?)))
            .transpose()
    }

    pub async fn delete_session(self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM session WHERE token_hash = $1").bind(token_hash).execute(self.write_pool()).await?;
        self.flushed(()).await
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_sessions(self, now: DateTime<Utc>) -> Result<u64> {
        let r = sqlx::query("DELETE FROM session WHERE expires_at <= $1").bind(codec::ts(now)).execute(self.write_pool()).await?;
        self.flushed(r.rows_affected()).await
    }

    /// The secret `name` every server on this database shares: `fresh` is stored if there is none
    /// yet, and the stored value is returned. Two servers starting at once end with the same one
    /// (the second insert does nothing, and both read back the first).
    pub async fn server_secret(self, name: &str, fresh: &str) -> Result<String> {
        sqlx::query("INSERT INTO server_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(fresh)
            .execute(self.write_pool())
            .await?;
        self.durable().wait().await?;
        let value: String =
            sqlx::query_scalar("SELECT value FROM server_secret WHERE name = $1").bind(name).fetch_one(self.write_pool()).await?;
        Ok(value)
    }
}

impl RegisterQueries<'_> {

    pub async fn person_by_id_number(self, id_number: &str) -> Result<Option<Person>> {
        let row = sqlx::query("SELECT * FROM person WHERE id_number = $1").bind(id_number).fetch_optional(self.read_pool()).await?;
        row.as_ref().map(person_from_row).transpose()
    }

    pub async fn person(self, id: PersonId) -> Result<Option<Person>> {
        let row = sqlx::query("SELECT * FROM person WHERE id = $1").bind(id.0).fetch_optional(self.read_pool()).await?;
        row.as_ref().map(person_from_row).transpose()
    }

    pub async fn household_members(self, household: HouseholdId) -> Result<Vec<Person>> {
        let rows = sqlx::query("SELECT * FROM person WHERE household = $1 ORDER BY birth_date")
            .bind(household.0)
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(person_from_row).collect()
    }

    pub async fn enterprise_by_credit_code(self, code: &str) -> Result<Option<Enterprise>> {
        let row = sqlx::query("SELECT * FROM enterprise WHERE credit_code = $1").bind(code).fetch_optional(self.read_pool()).await?;
        row.as_ref().map(enterprise_from_row).transpose()
    }

    pub async fn enterprise(self, id: EnterpriseId) -> Result<Option<Enterprise>> {
        let row = sqlx::query("SELECT * FROM enterprise WHERE id = $1").bind(id.0).fetch_optional(self.read_pool()).await?;
        row.as_ref().map(enterprise_from_row).transpose()
    }

    pub async fn divisions(self, parent: Option<&str>) -> Result<Vec<Division>> {
        let rows = match parent {
            Some(p) => sqlx::query("SELECT * FROM division WHERE parent = $1 ORDER BY code").bind(p).fetch_all(self.read_pool()).await?,
            None => sqlx::query("SELECT * FROM division ORDER BY code").fetch_all(self.read_pool()).await?,
        };
        rows.iter()
            .map(|r| {
                Ok(Division {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    level: r.try_get("level")?,
                    parent: r.try_get("parent")?,
                })
            })
            .collect()
    }

    /// A demo resident to show: a woman aged 25–35 with an account (出生一件事 fits her).
    pub async fn demo_citizen(self, today: NaiveDate) -> Result<Option<(String, String)>> {
        let from = codec::date(today - chrono::Days::new(35 * 365));
        let to = codec::date(today - chrono::Days::new(25 * 365));
        let row = sqlx::query(
            "SELECT p.id_number, p.name FROM person p JOIN account a ON a.person_id = p.id
             WHERE p.sex = 'female' AND p.birth_date >= $1 AND p.birth_date <= $2 ORDER BY p.id LIMIT 1",
        )
        .bind(from)
        .bind(to)
        .fetch_optional(self.read_pool())
        .await?;
        row.map(|r| Ok((r.try_get("id_number")?, r.try_get("name")?))).transpose()
    }

    /// A demo enterprise with an agent account and a construction permit in the data pool.
    pub async fn demo_enterprise(self) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT e.credit_code, e.name FROM enterprise e JOIN account a ON a.enterprise_id = e.id
             WHERE e.kind <> '个体工商户'
               AND EXISTS (SELECT 1 FROM shared_record r WHERE r.subject_key = e.credit_code AND r.record_type = 'construction_permit')
             ORDER BY e.id LIMIT 1",
        )
        .fetch_optional(self.read_pool())
        .await?;
        row.map(|r| Ok((r.try_get("credit_code")?, r.try_get("name")?))).transpose()
    }

    /// Logins of residents with accounts, for benchmark clients.
    pub async fn bench_citizens(self, n: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT login FROM account WHERE kind = 'citizen' AND password_hash <> '!' ORDER BY id LIMIT $1")
            .bind(n)
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(|r| Ok(r.try_get("login")?)).collect()
    }

    /// Every person's ID number, sex and birth date, by id (demo data that must be about real
    /// residents of the register).
    pub async fn person_keys(self) -> Result<Vec<(String, String, NaiveDate)>> {
        let rows = sqlx::query("SELECT id_number, sex, birth_date FROM person ORDER BY id").fetch_all(self.read_pool()).await?;
        rows.iter()
            .map(|r| {
                let birth: String = r.try_get("birth_date")?;
                Ok((r.try_get("id_number")?, r.try_get("sex")?, crate::codec::parse_date(&birth)?))
            })
            .collect()
    }

    /// Counts of the registers: (divisions, persons, enterprises, accounts).
    pub async fn register_counts(self) -> Result<(i64, i64, i64, i64)> {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM division) AS d, (SELECT COUNT(*) FROM person) AS p,
                    (SELECT COUNT(*) FROM enterprise) AS e, (SELECT COUNT(*) FROM account) AS a",
        )
        .fetch_one(self.read_pool())
        .await?;
        Ok((r.try_get("d")?, r.try_get("p")?, r.try_get("e")?, r.try_get("a")?))
    }

    // ---- bulk loading of the registers (the demo district, imports)

    pub async fn insert_divisions(self, rows: &[Division]) -> Result<()> {
        let rows: Vec<Vec<Value>> = rows
            .iter()
            .map(|d| vec![Value::S(d.code.clone()), Value::S(d.name.clone()), Value::S(d.level.clone()), Value::OptS(d.parent.clone())])
            .collect();
        self.insert_all("division", &["code", "name", "level", "parent"], &rows, "").await?;
        Ok(())
    }

    pub async fn insert_persons(self, persons: &[Person], now: DateTime<Utc>) -> Result<()> {
        let now = codec::ts(now);
        let rows: Vec<Vec<Value>> = persons
            .iter()
            .map(|p| {
                vec![
                    Value::I(p.id.0),
                    Value::S(p.id_number.clone()),
                    Value::S(p.name.clone()),
                    Value::S(p.sex.clone()),
                    Value::S(codec::date(p.birth_date)),
                    Value::S(p.division.clone()),
                    Value::OptS(p.phone.clone()),
                    Value::I(p.household.0),
                    Value::S(p.relation.clone()),
                    Value::S(now.clone()),
                ]
            })
            .collect();
        self.insert_all("person", &["id", "id_number", "name", "sex", "birth_date", "division", "phone", "household", "relation", "created_at"], &rows, "").await?;
        Ok(())
    }

    pub async fn insert_enterprises(self, list: &[Enterprise], now: DateTime<Utc>) -> Result<()> {
        let now = codec::ts(now);
        let rows: Vec<Vec<Value>> = list
            .iter()
            .map(|e| {
                vec![
                    Value::I(e.id.0),
                    Value::S(e.credit_code.clone()),
                    Value::S(e.name.clone()),
                    Value::I(e.legal_rep.0),
                    Value::S(e.division.clone()),
                    Value::S(e.kind.clone()),
                    Value::S(codec::date(e.established_on)),
                    Value::S(now.clone()),
                ]
            })
            .collect();
        self.insert_all("enterprise", &["id", "credit_code", "name", "legal_rep", "division", "kind", "established_on", "created_at"], &rows, "").await?;
        Ok(())
    }
}

impl Store {

    /// Whether the database answers (for liveness probes): one statement that reads nothing.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").fetch_one(self.read_pool()).await?;
        Ok(())
    }
}
