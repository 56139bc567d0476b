//! Identity's use cases: signing in and out, sessions, and registration with an SMS code (real
//! name, claim codes for accounts opened at a window, guardians and their wards). No HTTP here.

use catalog::Role;
use chrono::DateTime;
use chrono::Utc;
use domain::ResidentId;
use sha2::Digest;
use sha2::Sha256;
use store::Account;
use crate::auth;
use crate::auth::ClientAddr;
use crate::auth::Principal;
use crate::auth::SESSION_COOKIE;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::state::AppState;
use std::time::Instant;
use domain::AccountId;
use domain::Phone;
use pool::guardian;
use rand::Rng;
use rand::RngCore;
use store::AccountKind;
use store::Challenge;
use store::ChallengeKey;
use store::NewAccount;
use store::RegistrationSubject;
use store::StoredCode;
use crate::config::RegistrationConfig;
use crate::throttle;
use crate::throttle::Quota;
use super::views::*;

pub(crate) fn account_view(state: &AppState, a: &Account) -> AccountView {
    AccountView {
        id: a.id.to_string(),
        login: crate::areas::onething::views::mask_key(&a.login),
        display_name: a.display_name.clone(),
        kind: a.kind.code().into(),
        roles: a.roles.iter().map(|r| r.code().to_owned()).collect(),
        role_names: a.roles.iter().map(|r| r.name_zh().to_owned()).collect(),
        department_name: a.department.as_deref().and_then(|d| state.catalog().department(d)).map(|d| d.name.clone()),
        department: a.department.clone(),
        division: a.division.clone(),
    }
}

pub(crate) fn normalise_login(login: &str) -> String {
    let t = login.trim();
    match ResidentId::parse(t) {
        Ok(id) => id.as_str().to_owned(),
        Err(_) => domain::CreditCode::parse(t).map(|c| c.as_str().to_owned()).unwrap_or_else(|_| t.to_owned()),
    }
}

/// A new session of an account: the bearer token (given once, stored only as its hash) and when
/// it ends.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// The `Set-Cookie` value that carries the session to a browser.
    pub fn cookie(&self, state: &AppState) -> String {
        format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            self.token,
            state.config.session_hours * 3600,
            auth::cookie_secure(&state.config)
        )
    }
}

/// Opens a session for an account that has just proved who it is.
pub async fn open_session(state: &AppState, account: &Account) -> Fallible<Session> {
    let (token, hash) = auth::new_token();
    let now = state.now();
    let expires_at = now + chrono::Duration::hours(state.config.session_hours);
    state.store.identity().create_session(&hash, account.id, now, expires_at).await?;
    Ok(Session { account: account.clone(), token, expires_at })
}

/// Signing in with a password (the use case behind the API's and the page's log-in). Failed
/// attempts are throttled per login and client address, and per address (`auth::LoginGuard`):
/// a throttled attempt is refused with 429 `login_throttled`, whatever the password.
pub async fn sign_in(state: &AppState, client: ClientAddr, login: &str, password: &str) -> Fallible<Session> {
    let login = normalise_login(login);
    if login.is_empty() || login.len() > 100 || password.len() > 200 {
        return Err(Failure::BadCredentials);
    }
    state.login_guard.check(&login, client, state.now())?;
    let found = state.store.identity().account_for_login(&login).await?;
    let password = password.to_owned();
    let (account, ok) = match found {
        Some((account, hash)) => {
            let ok = tokio::task::spawn_blocking(move || auth::verify_password(&hash, &password))
                .await
                .map_err(Failure::internal)?;
            (Some(account), ok)
        }
        None => {
            // Spend the same time as a real check so that logins cannot be probed by timing.
            let _ = tokio::task::spawn_blocking(move || auth::verify_password(DUMMY_HASH, &password)).await;
            (None, false)
        }
    };
    let known = account.as_ref().map(|a| a.id.0);
    let Some(account) = account.filter(|_| ok) else {
        state.login_guard.failed(&login, client, state.now());
        // Never what was typed (a mistyped ID number, a password in the wrong field): its shape.
        tracing::info!(kind = login_kind(&login), found = known.is_some(), account = known, "login failed");
        return Err(Failure::BadCredentials);
    };
    if account.disabled {
        return Err(Failure::forbidden("账号已停用，请联系管理员", "The account is disabled"));
    }
    state.login_guard.succeeded(&login, client);
    open_session(state, &account).await
}

/// What a login looks like, for the log of a failed one: `id_number` (15 or 18 characters,
/// digits but a final X, valid or not), `credit_code` (18 characters of a credit code's alphabet)
/// or `username` (anything else, such as a password typed into the wrong field).
pub(crate) fn login_kind(login: &str) -> &'static str {
    let b = login.as_bytes();
    let digits = |n: usize| b.get(..n).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if (b.len() == 18 && digits(17) && matches!(b[17], b'0'..=b'9' | b'X' | b'x')) || (b.len() == 15 && digits(15)) {
        "id_number"
    } else if b.len() == 18 && b.iter().all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !b"IOSVZ".contains(c))) {
        "credit_code"
    } else {
        "username"
    }
}

/// A valid argon2 hash of a random password, used to equalise timing for unknown logins.
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Ou7RZCVNVjVAdOwOeFrN8jKEJJb6JMfv3IbX1y7nzo";

/// Ends a session (the use case behind the API's and the page's sign-out); the `Set-Cookie`
/// value that clears the browser's session cookie.
pub async fn sign_out(state: &AppState, p: &Principal) -> Fallible<String> {
    state.store.identity().delete_session(&p.token_hash).await?;
    state.sessions.remove(&p.token_hash);
    Ok(format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", auth::cookie_secure(&state.config)))
}

/// The window of every registration limit.
pub(crate) const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

/// The characters of a claim code: no 0/O, 1/I/L, which are read wrongly off a slip.
pub(crate) const CLAIM_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Characters of a claim code.
pub(crate) const CLAIM_LEN: usize = 8;

/// The notice kind of a registration code.
pub const CODE_NOTICE_KIND: &str = "registration_code";

/// The per-process limits per client address.
#[derive(Debug)]
pub struct Limits {
    pub(crate) codes: Quota<std::net::IpAddr>,
    pub(crate) attempts: Quota<std::net::IpAddr>,
}

impl Limits {
    pub fn new(cfg: &RegistrationConfig) -> Limits {
        Limits { codes: Quota::new(cfg.codes_per_address, HOUR), attempts: Quota::new(cfg.attempts_per_address, HOUR) }
    }
}

pub(crate) fn too_many(wait: std::time::Duration) -> Failure {
    let secs = throttle::seconds(wait);
    let minutes = secs.div_ceil(60);
    Failure::TooManyRequests {
        code: "too_many_attempts",
        zh: format!("尝试次数过多，请 {minutes} 分钟后再试"),
        en: format!("Too many attempts; try again in {minutes} minute(s)"),
        retry_after: secs,
    }
}

/// The one answer to a registration that failed for any reason that could tell who exists.
pub(crate) fn failed() -> Failure {
    Failure::invalid(
        "registration_failed",
        "code",
        "验证码不正确或已失效，或所填信息与人口库不一致。请核对后重试，或重新获取验证码",
        "The code is wrong or has expired, or the details do not match the population register. Check them and try again, or ask for a new code",
    )
}

// ---------------------------------------------------------------------------------------------
// Codes.

/// A 6-digit code from the operating system's cryptographic generator (through `rand`'s thread
/// generator, a CSPRNG seeded from it).
pub(crate) fn new_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// A claim code: 8 characters of [`CLAIM_ALPHABET`].
pub(crate) fn new_claim_code() -> String {
    let mut rng = rand::rng();
    (0..CLAIM_LEN).map(|_| char::from(CLAIM_ALPHABET[rng.random_range(0..CLAIM_ALPHABET.len())])).collect()
}

pub(crate) fn new_salt() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// SHA-256 of the salt and the code, hex.
pub(crate) fn code_hash(salt: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

/// Equality that takes as long however early the texts differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// Whether `code` is the live code kept as `stored` at `now`.
pub(crate) fn matches(stored: &StoredCode, code: &str, now: DateTime<Utc>) -> bool {
    let right = same(&code_hash(&stored.salt, code), &stored.code_hash);
    right && stored.live(now)
}

/// A claim code as typed (any case, with spaces or a hyphen) in its canonical form; `None` if it
/// cannot be one.
pub fn normalise_claim_code(s: &str) -> Option<String> {
    let c: String = s.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    (c.len() == CLAIM_LEN && c.bytes().all(|b| CLAIM_ALPHABET.contains(&b))).then_some(c)
}

/// A claim code as printed: `ABCD-EFGH`.
pub(crate) fn printed(code: &str) -> String {
    let (a, b) = code.split_at(code.len() / 2);
    format!("{a}-{b}")
}

pub(crate) fn parse_claim(s: Option<&str>) -> Fallible<Option<String>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(c) => normalise_claim_code(c).map(Some).ok_or_else(|| {
            Failure::invalid(
                "invalid_claim_code",
                "claim_code",
                "认领码为 8 位字母和数字（如 ABCD-EFGH），请按窗口给您的凭条填写",
                "A claim code has 8 letters and digits (like ABCD-EFGH), as on the slip the window gave you",
            )
        }),
    }
}

/// The ID number and phone of a request, each checked for its form (which says nothing about who
/// exists), and that a name was given.
pub(crate) fn parse_person(id_number: &str, name: &str, phone: &str) -> Fallible<(ResidentId, Phone)> {
    let id = ResidentId::parse(id_number.trim()).map_err(|e| Failure::from_describe(&e, "id_number"))?;
    let n = name.trim().chars().count();
    if n == 0 || n > 50 {
        return Err(Failure::invalid("invalid_name", "name", "请填写与身份证一致的姓名（50 字以内）", "Enter your name as on your ID card (up to 50 characters)"));
    }
    let phone = Phone::parse(phone).map_err(|e| Failure::from_describe(&e, "phone"))?;
    Ok((id, phone))
}

/// Whether the register lets this resident register now: the name matches, they are an adult,
/// and they have no account — or an account a window opened whose live claim code is `claim`.
pub(crate) fn may_register(s: &RegistrationSubject, name: &str, claim: Option<&str>, now: DateTime<Utc>) -> bool {
    let today = domain::china_date(now);
    if s.person.name != name.trim() || !guardian::is_adult(s.person.birth_date, today) {
        return false;
    }
    match &s.account {
        None => true,
        Some(a) if a.unclaimed => matches!((&a.claim, claim), (Some(stored), Some(c)) if matches(stored, c, now)),
        Some(_) => false,
    }
}

/// 429 if `key` already asked for `limit` codes within the hour (counted from the challenges).
pub(crate) async fn limit_in_db(state: &AppState, key: ChallengeKey, value: &str, limit: usize, now: DateTime<Utc>) -> Fallible<()> {
    let hour = chrono::Duration::hours(1);
    let times = state.store.identity().challenge_times(key, value, now - hour).await?;
    if times.len() < limit {
        return Ok(());
    }
    // Room again once enough of them have left the hour.
    let frees_at = times[times.len() - limit] + hour;
    Err(too_many((frees_at - now).to_std().unwrap_or_default()))
}

/// Step one: sends a registration code to the phone when the resident may register (see the
/// module's documentation); answers the same in every case.
pub async fn request_code(state: &AppState, client: ClientAddr, req: &CodeRequest) -> Fallible<CodeSent> {
    let cfg = &state.config.registration;
    let (id, phone) = parse_person(&req.id_number, &req.name, &req.phone)?;
    let claim = parse_claim(req.claim_code.as_deref())?;
    state.registration.codes.take(&client.0, Instant::now()).map_err(too_many)?;
    let now = state.now();
    limit_in_db(state, ChallengeKey::IdNumber, id.as_str(), cfg.codes_per_number, now).await?;
    limit_in_db(state, ChallengeKey::Phone, phone.as_str(), cfg.codes_per_phone, now).await?;
    let subject = state.store.identity().registration_subject(id.as_str()).await?;
    let eligible = subject.as_ref().is_some_and(|s| may_register(s, &req.name, claim.as_deref(), now));
    // The same work whether or not a code goes out: a challenge is stored either way (the limits
    // count it), with the notice that sends the code in the same commit when there is one.
    let (code, salt) = (new_code(), new_salt());
    let challenge = Challenge {
        id: state.parts.ids.next(),
        id_number: id.as_str().to_owned(),
        phone: phone.as_str().to_owned(),
        created_at: now,
        code: StoredCode {
            code_hash: if eligible { code_hash(&salt, &code) } else { String::new() },
            salt,
            expires_at: now + chrono::Duration::minutes(cfg.code_minutes),
            used_at: None,
        },
        failures: 0,
    };
    let minutes = cfg.code_minutes;
    let notice = eligible.then(|| {
        (
            state.parts.ids.next(),
            format!("phone:{}", phone.as_str()),
            CODE_NOTICE_KIND.to_owned(),
            format!("【富阳区政务服务】您的注册验证码为 {code}，{minutes} 分钟内有效。请勿告诉他人。"),
            format!("[Fuyang Government Services] Your registration code is {code}, valid for {minutes} minutes. Do not share it with anyone."),
        )
    });
    state.store.identity().create_challenge(&challenge, notice.as_ref()).await?;
    let masked = domain::mask::phone(phone.as_str());
    Ok(CodeSent {
        message: format!(
            "如所填信息与人口库一致，验证码已发送至 {masked}，{minutes} 分钟内有效。已注册的请直接登录；在窗口办理过业务的，请一并填写窗口交给您的认领码。\
             未收到短信请核对身份证号码、姓名和手机号码后重新获取。未满 18 周岁的居民不能自行注册，由父母等监护人代为办理。"
        ),
        message_en: format!(
            "If the details match the population register, a code has been sent to {masked}; it is valid for {minutes} minutes. \
             If you have registered before, sign in instead; if an account was opened for you at a service window, also enter the claim code the window gave you. \
             No text message? Check your ID number, name and phone number and ask again. Residents under 18 cannot register themselves: a parent or other guardian acts for them."
        ),
        sent_to: masked,
        expires_in_seconds: minutes * 60,
    })
}

/// Step two: checks the code and the resident again and creates the account (or claims the one a
/// window opened, setting its password and phone). Returns the account to start a session for.
pub async fn register(state: &AppState, client: ClientAddr, req: &RegisterRequest) -> Fallible<Account> {
    auth::check_password_strength(&req.password)?;
    state.registration.attempts.take(&client.0, Instant::now()).map_err(too_many)?;
    let cfg = &state.config.registration;
    let (id, phone) = parse_person(&req.id_number, &req.name, &req.phone)?;
    let code = req.code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::invalid("invalid_code", "code", "验证码为短信中的 6 位数字", "The code is the 6 digits in the text message"));
    }
    let claim = parse_claim(req.claim_code.as_deref())?;
    let now = state.now();
    let challenge = state.store.identity().latest_challenge(id.as_str(), phone.as_str()).await?;
    let Some(challenge) = challenge.filter(|c| c.code.live(now) && c.failures < cfg.code_tries) else {
        return Err(failed());
    };
    if !matches(&challenge.code, code, now) {
        state.store.identity().challenge_failed(challenge.id).await?;
        return Err(failed());
    }
    if !state.store.identity().use_challenge(challenge.id, now, cfg.code_tries).await? {
        return Err(failed());
    }
    // The register and the account may have changed since the code was sent.
    let subject = state.store.identity().registration_subject(id.as_str()).await?.ok_or_else(failed)?;
    if !may_register(&subject, &req.name, claim.as_deref(), now) {
        return Err(failed());
    }
    let (mem, it) = (state.config.argon2_memory_kib, state.config.argon2_iterations);
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password, mem, it)).await.map_err(Failure::internal)??;
    let id = match subject.account {
        Some(a) => {
            let stored = a.claim.ok_or_else(failed)?;
            if !state.store.identity().claim_account(a.id, &stored.code_hash, &hash, phone.as_str(), now).await? {
                return Err(failed());
            }
            a.id
        }
        None => {
            let acc = NewAccount {
                id: AccountId(state.parts.ids.next()),
                login: id.as_str().to_owned(),
                password_hash: hash,
                display_name: subject.person.name.clone(),
                kind: AccountKind::Citizen,
                roles: vec![Role::Applicant],
                person_id: Some(subject.person.id),
                enterprise_id: None,
                department: None,
                division: None,
                phone: Some(phone.as_str().to_owned()),
                created_at: now,
            };
            match state.store.identity().insert_accounts(std::slice::from_ref(&acc)).await {
                Ok(()) => acc.id,
                // Registered at the same moment by another request with its own code.
                Err(e) if e.is_unique_violation() => return Err(failed()),
                Err(e) => return Err(e.into()),
            }
        }
    };
    state.store.identity().account(id).await?.ok_or_else(|| Failure::internal(std::io::Error::other("the registered account is missing")))
}

pub(crate) fn claim_view(code: &str, name: &str, expires_at: DateTime<Utc>) -> ClaimCodeView {
    let day = domain::china_date(expires_at);
    let printed = printed(code);
    ClaimCodeView {
        instructions: format!(
            "窗口已为您开通网上账号。请在 {day} 前登录本平台，点击「注册」，填写身份证号码、姓名、手机号码和认领码 {printed}，再输入短信验证码并设置密码，即可在网上查看和办理您的事项。认领码只能使用一次，请妥善保管，不要交给他人。"
        ),
        instructions_en: format!(
            "The window has opened an online account for you. Before {day}, go to this platform, choose \"Register\", enter your ID number, name, mobile number and the claim code {printed}, then the code sent by text message and a password of your own: you can then follow and file your applications online. The claim code works once; keep it safe and give it to nobody."
        ),
        code: printed,
        expires_at,
        name: name.to_owned(),
    }
}

/// Stores a new claim code for `account`; `replace`: see `Store::issue_claim_code`. `None` when
/// one was live and not replaced.
pub(crate) async fn new_claim_code_for(state: &AppState, account: AccountId, name: &str, issued_by: AccountId, replace: bool) -> Fallible<Option<ClaimCodeView>> {
    let now = state.now();
    let expires = now + chrono::Duration::days(state.config.registration.claim_code_days);
    let (code, salt) = (new_claim_code(), new_salt());
    let stored = state.store.identity().issue_claim_code(account, &salt, &code_hash(&salt, &code), issued_by, now, expires, replace).await?;
    Ok(stored.then(|| claim_view(&code, name, expires)))
}

/// After a window intake for a resident: a claim code for their account if it is one the window
/// opened (never registered), they are an adult, and no claim code of theirs is still live. A
/// failure here does not undo the filing: it is logged, and the window can issue a code later.
pub async fn claim_code_after_intake(state: &AppState, window: &Account, id_number: &str) -> Option<ClaimCodeView> {
    let r = async {
        let Some(s) = state.store.identity().registration_subject(id_number).await? else { return Ok(None) };
        let today = domain::china_date(state.now());
        match &s.account {
            Some(a) if a.unclaimed && guardian::is_adult(s.person.birth_date, today) => {
                new_claim_code_for(state, a.id, &s.person.name, window.id, false).await
            }
            _ => Ok(None),
        }
    }
    .await;
    r.unwrap_or_else(|e: Failure| {
        tracing::warn!(error = ?e, "no claim code after a window intake");
        None
    })
}

/// Window staff issue a fresh claim code (the slip was lost) for a resident of their division
/// whose account, opened at a window, is still unclaimed. The earlier code stops working.
pub async fn reissue_claim_code(state: &AppState, staff: &Account, applicant: &str) -> Fallible<ClaimCodeView> {
    if staff.kind != AccountKind::Staff || !staff.has(Role::Window) {
        return Err(Failure::forbidden("只有窗口人员可以补发认领码", "Only window staff may issue claim codes"));
    }
    let id = ResidentId::parse(applicant.trim()).map_err(|e| Failure::from_describe(&e, "applicant"))?;
    let s = state.store.identity().registration_subject(id.as_str()).await?.ok_or_else(|| {
        Failure::invalid("not_in_register", "applicant", "人口库中没有此身份证号码，请核对后再试", "This ID number is not in the population register")
    })?;
    if let Some(d) = &staff.division
        && !s.person.division.starts_with(d.as_str())
    {
        return Err(Failure::Forbidden {
            code: "forbidden",
            zh: "只能为本辖区的居民补发认领码".into(),
            en: "You may issue claim codes only to residents of your division".into(),
            field: Some("applicant".into()),
        });
    }
    let conflict = |code: &'static str, zh: &str, en: &str| Failure::Conflict { code, zh: zh.into(), en: en.into(), field: Some("applicant".into()) };
    if !guardian::is_adult(s.person.birth_date, domain::china_date(state.now())) {
        return Err(conflict(
            "minor_cannot_register",
            "该居民未满 18 周岁，不能自行认领账号，由监护人代为办理",
            "This resident is under 18 and cannot claim an account; a guardian acts for them",
        ));
    }
    match &s.account {
        None => Err(conflict("no_window_account", "该居民还没有账号，可直接在网上实名注册", "This resident has no account yet and can register online")),
        Some(a) if !a.unclaimed => Err(conflict("already_claimed", "该居民的账号已经注册认领，无需认领码", "This resident's account is already registered")),
        Some(a) => new_claim_code_for(state, a.id, &s.person.name, staff.id, true)
            .await?
            .ok_or_else(|| Failure::internal(std::io::Error::other("a replacing claim code was not stored"))),
    }
}

/// The minors a resident is guardian of (none for enterprise agents and staff).
pub async fn wards(state: &AppState, account: &Account) -> Fallible<Vec<WardView>> {
    let person = match (account.kind, account.person_id) {
        (AccountKind::Citizen, Some(pid)) => state.store.registers().person(pid).await?,
        _ => None,
    };
    let Some(person) = person else { return Ok(Vec::new()) };
    let today = domain::china_date(state.now());
    let list = state.store.identity().wards_of(&person.id_number, today).await?;
    Ok(list
        .into_iter()
        .map(|w| WardView { id_number: domain::mask::id_number(&w.id_number), age: guardian::full_years(w.birth_date, today), name: w.name, birth_date: w.birth_date })
        .collect())
}

/// The signed-in account.
pub async fn me(state: &AppState, p: &Principal) -> Fallible<MeView> {
    let person = match p.account.person_id {
        Some(id) => state.store.registers().person(id).await?.map(|x| serde_json::to_value(x).unwrap_or_default()),
        None => None,
    };
    let enterprise = match p.account.enterprise_id {
        Some(id) => state.store.registers().enterprise(id).await?.map(|x| serde_json::to_value(x).unwrap_or_default()),
        None => None,
    };
    Ok(MeView { account: account_view(&state, &p.account), person, enterprise })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_login_is_logged_by_its_shape() {
        for (login, kind) in [
            ("330183199001011232", "id_number"),
            ("330183199001011231", "id_number"),
            ("33018319900101123x", "id_number"),
            ("330183900101123", "id_number"),
            ("91330000742906207U", "credit_code"),
            ("admin", "username"),
            ("wjw_clerk", "username"),
            ("Wo3Ai4Ni5Beijing!", "username"),
            ("3301831990010112\n2", "username"),
        ] {
            assert_eq!(login_kind(login), kind, "{login:?}");
        }
    }

    #[test]
    fn codes_are_six_digits_and_claim_codes_eight_unambiguous_characters() {
        for _ in 0..200 {
            let c = new_code();
            assert!(c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()), "{c}");
            let k = new_claim_code();
            assert_eq!(normalise_claim_code(&k).as_deref(), Some(k.as_str()));
            assert!(!k.contains(['0', 'O', '1', 'I', 'L']), "{k}");
        }
        assert_ne!(new_claim_code(), new_claim_code());
    }

    #[test]
    fn claim_codes_are_read_as_typed() {
        assert_eq!(normalise_claim_code(" abcd-efgh ").as_deref(), Some("ABCDEFGH"));
        assert_eq!(normalise_claim_code("ABCD EFGH").as_deref(), Some("ABCDEFGH"));
        assert_eq!(printed("ABCDEFGH"), "ABCD-EFGH");
        for bad in ["ABCDEFG", "ABCDEFGHJ", "ABCDEFG0", "ABCDEFGI", "ABCDEFG中", ""] {
            assert_eq!(normalise_claim_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_code_matches_only_its_own_live_hash() {
        let now = chrono::Utc::now();
        let salt = new_salt();
        let stored = StoredCode { code_hash: code_hash(&salt, "123456"), salt: salt.clone(), expires_at: now + chrono::Duration::minutes(10), used_at: None };
        assert!(matches(&stored, "123456", now));
        assert!(!matches(&stored, "123457", now));
        assert!(!matches(&stored, "123456", now + chrono::Duration::minutes(10)), "expired");
        assert!(!matches(&StoredCode { used_at: Some(now), ..stored.clone() }, "123456", now), "used");
        assert!(!matches(&StoredCode { code_hash: String::new(), ..stored.clone() }, "123456", now), "a challenge that sent no code");
        assert_ne!(code_hash(&new_salt(), "123456"), stored.code_hash, "salted");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab") && !same("", "a"));
    }
}
