//! The hub's schema, as ordered migrations: migration `i` brings the schema from version `i` to
//! `i + 1`. Append only; a released migration never changes.

/// Each migration brings the schema from version `index` to `index + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the admin credential and projects.
    r#"
    CREATE TABLE admin_credential (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        token_hash  TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE TABLE projects (
        id                      TEXT PRIMARY KEY,
        name                    TEXT NOT NULL,
        client_id               TEXT NOT NULL UNIQUE,
        acquirer_id             TEXT NOT NULL,
        acqp_public_key         TEXT NOT NULL,
        hub_private_key         TEXT NOT NULL,
        hub_public_key          TEXT NOT NULL,
        notify_url              TEXT,
        user_initiated_pay_url  TEXT,
        auth_notify_url         TEXT,
        entry_code_domains      TEXT NOT NULL,
        private_code_domains    TEXT NOT NULL,
        notify_retry_schedule   TEXT NOT NULL,
        created_at              TEXT NOT NULL,
        updated_at              TEXT NOT NULL
    );
    CREATE TABLE exchanges (
        seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id          TEXT REFERENCES projects(id),
        client_id           TEXT,
        at                  TEXT NOT NULL,
        direction           TEXT NOT NULL,
        api                 TEXT NOT NULL,
        path                TEXT NOT NULL,
        request_headers     TEXT NOT NULL,
        request_body        TEXT NOT NULL,
        signature_verdict   TEXT NOT NULL,
        response_headers    TEXT NOT NULL,
        response_body       TEXT NOT NULL,
        result_code         TEXT,
        result_status       TEXT,
        forced              INTEGER NOT NULL DEFAULT 0,
        latency_us          INTEGER NOT NULL
    );
    CREATE INDEX exchanges_by_project ON exchanges (project_id, seq);
    "#,
    // 2: payment codes, payments and refunds.
    r#"
    CREATE TABLE payment_codes (
        code            TEXT PRIMARY KEY,
        project_id      TEXT NOT NULL REFERENCES projects(id),
        run_id          TEXT,
        customer_id     TEXT NOT NULL,
        issued_at       TEXT NOT NULL,
        expires_at      TEXT NOT NULL,
        used_at         TEXT,
        payment_id      TEXT
    );
    CREATE TABLE payments (
        payment_id          TEXT PRIMARY KEY,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        payment_request_id  TEXT NOT NULL,
        scenario            TEXT NOT NULL,
        currency            TEXT NOT NULL,
        value               INTEGER NOT NULL,
        fingerprint         TEXT NOT NULL,
        request_body        TEXT NOT NULL,
        status              TEXT NOT NULL,
        result_code         TEXT NOT NULL,
        result_message      TEXT NOT NULL,
        customer_id         TEXT,
        code_value          TEXT,
        payment_url         TEXT,
        notify_url          TEXT,
        created_at          TEXT NOT NULL,
        expires_at          TEXT,
        paid_at             TEXT,
        closed_at           TEXT,
        refunded_value      INTEGER NOT NULL DEFAULT 0,
        UNIQUE (project_id, payment_request_id)
    );
    CREATE INDEX payments_by_code ON payments (code_value);
    CREATE TABLE refunds (
        refund_id           TEXT PRIMARY KEY,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        refund_request_id   TEXT NOT NULL,
        payment_id          TEXT NOT NULL REFERENCES payments(payment_id),
        currency            TEXT NOT NULL,
        value               INTEGER NOT NULL,
        status              TEXT NOT NULL,
        result_code         TEXT NOT NULL,
        result_message      TEXT NOT NULL,
        created_at          TEXT NOT NULL,
        UNIQUE (project_id, refund_request_id)
    );
    "#,
    // 3: callbacks to deliver, and every attempt.
    r#"
    CREATE TABLE deliveries (
        id                  TEXT PRIMARY KEY,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        payment_id          TEXT,
        api                 TEXT NOT NULL,
        url                 TEXT NOT NULL,
        body                TEXT NOT NULL,
        forged              INTEGER NOT NULL,
        attempts            INTEGER NOT NULL,
        next_attempt_at     TEXT,
        status              TEXT NOT NULL,
        created_at          TEXT NOT NULL,
        last_error          TEXT
    );
    CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
    CREATE TABLE delivery_attempts (
        delivery_id     TEXT NOT NULL REFERENCES deliveries(id),
        attempt         INTEGER NOT NULL,
        at              TEXT NOT NULL,
        verdict         TEXT NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
    );
    "#,
    // 4: merchants (test accounts) and wallet sessions.
    r#"
    CREATE TABLE merchants (
        id                      TEXT PRIMARY KEY,
        project_id              TEXT NOT NULL REFERENCES projects(id),
        name                    TEXT NOT NULL,
        mid                     TEXT NOT NULL,
        email                   TEXT NOT NULL,
        products                TEXT NOT NULL,
        status                  TEXT NOT NULL,
        remark                  TEXT,
        created_at              TEXT NOT NULL,
        last_active_at          TEXT,
        password_hash           TEXT,
        invitation_hash         TEXT,
        invitation_expires_at   TEXT,
        invitation_used_at      TEXT,
        UNIQUE (project_id, mid),
        UNIQUE (project_id, email)
    );
    CREATE INDEX merchants_by_invitation ON merchants (invitation_hash);
    CREATE TABLE sessions (
        token_hash      TEXT PRIMARY KEY,
        merchant_id     TEXT NOT NULL REFERENCES merchants(id),
        created_at      TEXT NOT NULL,
        last_used_at    TEXT NOT NULL,
        revoked_at      TEXT
    );
    "#,
    // 5: runs and their events; payments and deliveries know their run.
    r#"
    ALTER TABLE payments ADD COLUMN run_id TEXT;
    ALTER TABLE deliveries ADD COLUMN run_id TEXT;
    CREATE TABLE runs (
        id              TEXT PRIMARY KEY,
        project_id      TEXT NOT NULL REFERENCES projects(id),
        merchant_id     TEXT NOT NULL REFERENCES merchants(id),
        case_id         TEXT NOT NULL,
        status          TEXT NOT NULL,
        started_at      TEXT NOT NULL,
        ended_at        TEXT,
        verdict         TEXT
    );
    CREATE INDEX runs_by_merchant ON runs (merchant_id, started_at);
    CREATE TABLE run_events (
        run_id      TEXT NOT NULL REFERENCES runs(id),
        seq         INTEGER NOT NULL,
        at          TEXT NOT NULL,
        event       TEXT NOT NULL,
        write_id    TEXT,
        PRIMARY KEY (run_id, seq)
    );
    CREATE UNIQUE INDEX run_events_by_write ON run_events (run_id, write_id) WHERE write_id IS NOT NULL;
    "#,
    // 6: per-run settings.
    r#"
    ALTER TABLE runs ADD COLUMN slow_answer_secs INTEGER;
    "#,
    // 7: a run whose wallet opened an entry-code page waits for that page's pay.
    r#"
    ALTER TABLE runs ADD COLUMN entry_opened_at TEXT;
    "#,
    // 8: forced results (iMock).
    r#"
    CREATE TABLE forced_results (
        id              TEXT PRIMARY KEY,
        project_id      TEXT NOT NULL REFERENCES projects(id),
        api             TEXT NOT NULL,
        result_code     TEXT NOT NULL,
        result_message  TEXT NOT NULL,
        field           TEXT,
        value           TEXT,
        created_at      TEXT NOT NULL,
        expires_at      TEXT NOT NULL
    );
    "#,
    // 9: evidence photos.
    r#"
    CREATE TABLE attachments (
        id              TEXT NOT NULL,
        merchant_id     TEXT NOT NULL REFERENCES merchants(id),
        run_id          TEXT NOT NULL REFERENCES runs(id),
        content_type    TEXT NOT NULL,
        bytes           BLOB NOT NULL,
        sha256          TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        PRIMARY KEY (merchant_id, id)
    );
    "#,
    // 10: Auto Debit authorizations and tokens.
    r#"
    CREATE TABLE authorizations (
        id                  TEXT PRIMARY KEY,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        auth_client_id      TEXT NOT NULL,
        auth_redirect_url   TEXT NOT NULL,
        auth_state          TEXT NOT NULL,
        scopes              TEXT NOT NULL,
        status              TEXT NOT NULL,
        auth_code           TEXT,
        code_expires_at     TEXT,
        customer_id         TEXT,
        access_token        TEXT,
        refresh_token       TEXT,
        token_expires_at    TEXT,
        created_at          TEXT NOT NULL
    );
    CREATE INDEX authorizations_by_token ON authorizations (project_id, access_token);
    CREATE INDEX authorizations_by_code ON authorizations (project_id, auth_code);
    "#,
    // 11: the console: its users and their sessions, case assignments, invitation mail.
    r#"
    CREATE TABLE console_users (
        id              TEXT PRIMARY KEY,
        email           TEXT NOT NULL UNIQUE,
        password_hash   TEXT NOT NULL,
        created_at      TEXT NOT NULL
    );
    CREATE TABLE console_members (
        user_id     TEXT NOT NULL REFERENCES console_users(id),
        project_id  TEXT NOT NULL REFERENCES projects(id),
        PRIMARY KEY (user_id, project_id)
    );
    CREATE TABLE console_sessions (
        token_hash      TEXT PRIMARY KEY,
        user_id         TEXT NOT NULL REFERENCES console_users(id),
        created_at      TEXT NOT NULL,
        last_used_at    TEXT NOT NULL,
        revoked_at      TEXT
    );
    CREATE TABLE assignments (
        merchant_id     TEXT PRIMARY KEY REFERENCES merchants(id),
        case_ids        TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE TABLE invitation_mail (
        id              TEXT PRIMARY KEY,
        project_id      TEXT NOT NULL REFERENCES projects(id),
        merchant_id     TEXT NOT NULL REFERENCES merchants(id),
        recipient       TEXT NOT NULL,
        subject         TEXT NOT NULL,
        body            TEXT NOT NULL,
        link            TEXT,
        channel         TEXT NOT NULL,
        status          TEXT NOT NULL,
        error           TEXT,
        created_at      TEXT NOT NULL
    );
    CREATE INDEX invitation_mail_by_merchant ON invitation_mail (merchant_id, created_at);
    "#,
    // 12: the request log knows the run each exchange belongs to (the console filters by run and
    // by merchant on it). No index of its own: the log is read per project, newest first, and
    // another index would cost every gateway call a write.
    // The open runs, which every `pay` looks at (a UPM-06 run may hold its answer).
    r#"
    ALTER TABLE exchanges ADD COLUMN run_id TEXT;
    CREATE INDEX runs_open ON runs (case_id) WHERE status = 'open';
    "#,
    // 13: runs and invitation mail get an ordering column of their own (`seq`, the order they
    // were written in), so lists newest first no longer break ties in time with SQLite's rowid
    // (a test clock writes many rows at one instant); existing rows keep their rowid order.
    r#"
    ALTER TABLE runs ADD COLUMN seq INTEGER;
    UPDATE runs SET seq = rowid;
    CREATE INDEX runs_by_seq ON runs (seq);
    ALTER TABLE invitation_mail ADD COLUMN seq INTEGER;
    UPDATE invitation_mail SET seq = rowid;
    CREATE INDEX invitation_mail_by_seq ON invitation_mail (seq);
    "#,
    // 14: an Auto Debit authorization knows who granted it and in which run (its later exchanges
    // join that run), when, and whether the customer declined it.
    r#"
    ALTER TABLE authorizations ADD COLUMN merchant_id TEXT;
    ALTER TABLE authorizations ADD COLUMN run_id TEXT;
    ALTER TABLE authorizations ADD COLUMN granted_at TEXT;
    ALTER TABLE authorizations ADD COLUMN ended_at TEXT;
    CREATE INDEX authorizations_by_merchant ON authorizations (merchant_id);
    "#,
    // 15: the wallet under test travels with each run (the hub plays it for the run's payments),
    // and each payment keeps the wallet it was played by. NULL, as in every row written before,
    // is TEST_WALLET.
    r#"
    ALTER TABLE runs ADD COLUMN wallet TEXT;
    ALTER TABLE payments ADD COLUMN wallet TEXT;
    "#,
    // 16: a project's API token for CI (at most one per project; rotating replaces it), stored
    // as its SHA-256 with only a hint of its end for the console; and a user's sessions found by
    // user, for "sign out everywhere".
    r#"
    CREATE TABLE project_tokens (
        project_id  TEXT PRIMARY KEY REFERENCES projects(id),
        token_hash  TEXT NOT NULL UNIQUE,
        hint        TEXT NOT NULL,
        created_by  TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX console_sessions_by_user ON console_sessions (user_id);
    "#,
    // 17: invitation mail is an outbox: written `queued` in the invitation's own transaction,
    // leased to one sender at a time (`lease_until`), and counted (`attempts`), so a mail a crash
    // cut off is sent again once its lease runs out.
    r#"
    ALTER TABLE invitation_mail ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE invitation_mail ADD COLUMN lease_until TEXT;
    CREATE INDEX invitation_mail_queued ON invitation_mail (lease_until) WHERE status = 'queued';
    "#,
    // 18: a request log of bounded size (issue 14). Each body is kept up to a prefix, with the
    // whole body's size and, when cut, its SHA-256 (rows written before keep their bodies
    // whole). An exchange knows the payment it concerns (`payment_id`, indexed, filled in from
    // the bodies of the rows written before), so a payment's exchanges are found without
    // reading bodies. Calls refused before their signature verified are counted per Client-Id
    // (`rejected_calls`) with the last few kept as samples (`rejected_samples`), not logged one
    // by one. Each project keeps its log for `request_log_days` days (default 30); the sweep
    // goes through the log oldest first (`exchanges_by_project`).
    r#"
    ALTER TABLE exchanges ADD COLUMN request_size INTEGER;
    ALTER TABLE exchanges ADD COLUMN request_sha256 TEXT;
    ALTER TABLE exchanges ADD COLUMN response_size INTEGER;
    ALTER TABLE exchanges ADD COLUMN response_sha256 TEXT;
    ALTER TABLE exchanges ADD COLUMN payment_id TEXT;
    UPDATE exchanges SET request_size = length(CAST(request_body AS BLOB)),
        response_size = length(CAST(response_body AS BLOB));
    UPDATE exchanges SET payment_id = COALESCE(
        CASE WHEN json_valid(request_body) THEN json_extract(request_body, '$.paymentId') END,
        CASE WHEN json_valid(response_body) THEN json_extract(response_body, '$.paymentId') END,
        (SELECT p.payment_id FROM payments p
         WHERE p.project_id = exchanges.project_id AND json_valid(exchanges.request_body)
         AND p.payment_request_id = json_extract(exchanges.request_body, '$.paymentRequestId')))
    WHERE direction = 'inbound' AND project_id IS NOT NULL;
    CREATE INDEX exchanges_by_payment ON exchanges (project_id, payment_id)
        WHERE payment_id IS NOT NULL;
    CREATE TABLE rejected_calls (
        client_id       TEXT PRIMARY KEY,
        project_id      TEXT,
        count           INTEGER NOT NULL,
        first_at        TEXT NOT NULL,
        last_at         TEXT NOT NULL,
        last_code       TEXT NOT NULL,
        last_reason     TEXT NOT NULL
    );
    CREATE INDEX rejected_calls_by_project ON rejected_calls (project_id);
    CREATE TABLE rejected_samples (
        seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
        client_id           TEXT NOT NULL,
        project_id          TEXT,
        at                  TEXT NOT NULL,
        api                 TEXT NOT NULL,
        path                TEXT NOT NULL,
        signature_verdict   TEXT NOT NULL,
        result_code         TEXT NOT NULL,
        reason              TEXT NOT NULL,
        request_headers     TEXT NOT NULL,
        request_body        TEXT NOT NULL,
        request_size        INTEGER NOT NULL,
        request_sha256      TEXT NOT NULL
    );
    CREATE INDEX rejected_samples_by_client ON rejected_samples (client_id, seq);
    CREATE INDEX rejected_samples_by_project ON rejected_samples (project_id, seq);
    ALTER TABLE projects ADD COLUMN request_log_days INTEGER NOT NULL DEFAULT 30;
    "#,
    // 19: stored bytes per signed call at most 1 KB (issue 15). An exchange's headers and bodies
    // are packed into one blob (`packed`, deflated against a preset dictionary: see
    // `store/packed.rs`); rows written so since keep their four text columns empty, rows written
    // before keep theirs. A payment's exchanges are found by `payment_id` alone (payment ids are
    // the hub's own and unique across projects), so that index no longer repeats the project.
    // The Test Data page finds the latest run of each (merchant, case) by index (`runs_latest`),
    // not by reading every run the project ever had.
    r#"
    ALTER TABLE exchanges ADD COLUMN packed BLOB;
    DROP INDEX exchanges_by_payment;
    CREATE INDEX exchanges_by_payment ON exchanges (payment_id) WHERE payment_id IS NOT NULL;
    CREATE INDEX runs_latest ON runs (project_id, merchant_id, case_id, started_at, seq);
    "#,
    // 20: TSP mode (issue 16). A project in TSP mode (`tsp_mode`) takes an Alipay+ call only with
    // its sandbox Agent-Token (`agent_token`) in the `Agent-Token` header. SQLite cannot draw the
    // hub's ids, so the projects that exist get their token in Rust right after the migration
    // (`Hub::issue_missing_agent_tokens`, run when the server starts); new ones get it when
    // created. The unique index keeps every token one project's.
    r#"
    ALTER TABLE projects ADD COLUMN tsp_mode INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE projects ADD COLUMN agent_token TEXT;
    CREATE UNIQUE INDEX projects_by_agent_token ON projects (agent_token);
    "#,
    // 21: sandbox acceptance testing (issue 16). A project names the products its application
    // selected (`products`, JSON list of product codes). Each project may have one acceptance
    // account (`merchants.acceptance = 1`): the TSP's own test account, never listed with the
    // merchants; its runs are the acceptance runs. The wallet signs in as it with a single-use,
    // short-lived ticket the TSP mints (`sign_in_tickets`, stored as the SHA-256 of the secret).
    r#"
    ALTER TABLE projects ADD COLUMN products TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE merchants ADD COLUMN acceptance INTEGER NOT NULL DEFAULT 0;
    CREATE UNIQUE INDEX merchants_acceptance ON merchants (project_id) WHERE acceptance = 1;
    CREATE TABLE sign_in_tickets (
        ticket_hash     TEXT PRIMARY KEY,
        merchant_id     TEXT NOT NULL,
        expires_at      TEXT NOT NULL,
        used_at         TEXT
    );
    "#,
    // 22: the ACQP's authorization (issue 16). Console users have a role (`TSP` staff, every user
    // before; or `ACQP`, who are never members of projects). A TSP member generates an
    // authorization URL (`authorization_urls`: the token stored as SHA-256, the products offered,
    // the ACQP named by organisation and email, single use, expiring); the ACQP who opens it
    // authorizes (`acqp_authorizations`: Active or Inactive, its scope, its own Agent-Token, kept
    // to be shown to the TSP and found by its SHA-256). The mail about it (the URL to the ACQP,
    // changes to the project's members) is an outbox like the invitation mail's
    // (`authorization_mail`).
    r#"
    ALTER TABLE console_users ADD COLUMN role TEXT NOT NULL DEFAULT 'TSP';
    CREATE TABLE authorization_urls (
        id                  TEXT PRIMARY KEY,
        token_hash          TEXT NOT NULL UNIQUE,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        products            TEXT NOT NULL,
        acqp_name           TEXT NOT NULL,
        acqp_email          TEXT NOT NULL,
        created_by          TEXT NOT NULL,
        created_at          TEXT NOT NULL,
        expires_at          TEXT NOT NULL,
        used_at             TEXT,
        revoked_at          TEXT,
        seq                 INTEGER NOT NULL
    );
    CREATE INDEX authorization_urls_by_project ON authorization_urls (project_id, seq);
    CREATE TABLE acqp_authorizations (
        id                  TEXT PRIMARY KEY,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        url_id              TEXT NOT NULL UNIQUE REFERENCES authorization_urls(id),
        user_id             TEXT NOT NULL REFERENCES console_users(id),
        acqp_name           TEXT NOT NULL,
        acqp_email          TEXT NOT NULL,
        offered             TEXT NOT NULL,
        products            TEXT NOT NULL,
        agent_token         TEXT NOT NULL,
        agent_token_hash    TEXT NOT NULL UNIQUE,
        status              TEXT NOT NULL,
        created_at          TEXT NOT NULL,
        changed_at          TEXT NOT NULL,
        seq                 INTEGER NOT NULL
    );
    CREATE INDEX acqp_authorizations_by_project ON acqp_authorizations (project_id, seq);
    CREATE INDEX acqp_authorizations_by_user ON acqp_authorizations (user_id, seq);
    CREATE TABLE authorization_mail (
        id                  TEXT PRIMARY KEY,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        recipient           TEXT NOT NULL,
        subject             TEXT NOT NULL,
        body                TEXT NOT NULL,
        channel             TEXT NOT NULL,
        status              TEXT NOT NULL,
        error               TEXT,
        created_at          TEXT NOT NULL,
        lease_until         TEXT,
        attempts            INTEGER NOT NULL DEFAULT 0,
        seq                 INTEGER NOT NULL
    );
    CREATE INDEX authorization_mail_by_project ON authorization_mail (project_id, seq);
    CREATE INDEX authorization_mail_queued ON authorization_mail (lease_until)
        WHERE status = 'queued';
    "#,
    // 23: bounds on the ACQP's authorization (issue 16). `authorization_urls.mailed` marks the
    // URLs mailed to the ACQP, which the project's hourly and daily mail allowance counts (by
    // `created_at`, hence the index); `acqp_authorizations.notices_since` and `notices` count the
    // change notices mailed in the authorization's current hour.
    r#"
    ALTER TABLE authorization_urls ADD COLUMN mailed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX authorization_urls_by_project_time ON authorization_urls (project_id, created_at);
    ALTER TABLE acqp_authorizations ADD COLUMN notices_since TEXT;
    ALTER TABLE acqp_authorizations ADD COLUMN notices INTEGER NOT NULL DEFAULT 0;
    "#,
    // 24: the Test Data page reads the latest run of each (merchant, case) from a table of its
    // own (issue 15), one row per cell, kept by triggers as runs are added, changed or removed:
    // its cost follows the project's merchants and cases, not the runs behind them (walking
    // `runs_latest` cost a seek in a deeper index per cell as runs grew). "Latest" is the order
    // the runs list uses: `started_at`, then `seq`, highest first.
    r#"
    CREATE TABLE latest_runs (
        project_id      TEXT NOT NULL,
        merchant_id     TEXT NOT NULL,
        case_id         TEXT NOT NULL,
        id              TEXT NOT NULL,
        status          TEXT NOT NULL,
        started_at      TEXT NOT NULL,
        ended_at        TEXT,
        verdict         TEXT,
        wallet          TEXT,
        seq             INTEGER,
        PRIMARY KEY (project_id, merchant_id, case_id)
    ) WITHOUT ROWID;
    INSERT INTO latest_runs (project_id, merchant_id, case_id, id, status, started_at,
            ended_at, verdict, wallet, seq)
        SELECT project_id, merchant_id, case_id, id, status, started_at, ended_at, verdict,
            wallet, seq FROM (
            SELECT *, row_number() OVER (PARTITION BY project_id, merchant_id, case_id
                ORDER BY started_at DESC, seq DESC) AS rank
            FROM runs)
        WHERE rank = 1;
    CREATE TRIGGER latest_runs_on_insert AFTER INSERT ON runs BEGIN
        INSERT INTO latest_runs (project_id, merchant_id, case_id, id, status, started_at,
            ended_at, verdict, wallet, seq)
            VALUES (NEW.project_id, NEW.merchant_id, NEW.case_id, NEW.id, NEW.status,
                NEW.started_at, NEW.ended_at, NEW.verdict, NEW.wallet, NEW.seq)
            ON CONFLICT (project_id, merchant_id, case_id) DO UPDATE SET
                id = excluded.id, status = excluded.status, started_at = excluded.started_at,
                ended_at = excluded.ended_at, verdict = excluded.verdict,
                wallet = excluded.wallet, seq = excluded.seq
            WHERE (excluded.started_at, COALESCE(excluded.seq, -1))
                > (latest_runs.started_at, COALESCE(latest_runs.seq, -1));
    END;
    CREATE TRIGGER latest_runs_on_update
        AFTER UPDATE OF project_id, merchant_id, case_id, status, started_at, ended_at, verdict,
            wallet, seq ON runs
    BEGIN
        DELETE FROM latest_runs
            WHERE (project_id, merchant_id, case_id)
                IN (VALUES (OLD.project_id, OLD.merchant_id, OLD.case_id),
                    (NEW.project_id, NEW.merchant_id, NEW.case_id));
        INSERT OR IGNORE INTO latest_runs (project_id, merchant_id, case_id, id, status,
                started_at, ended_at, verdict, wallet, seq)
            SELECT project_id, merchant_id, case_id, id, status, started_at, ended_at,
                verdict, wallet, seq FROM runs
            WHERE project_id = OLD.project_id AND merchant_id = OLD.merchant_id
                AND case_id = OLD.case_id
            ORDER BY started_at DESC, seq DESC LIMIT 1;
        INSERT OR IGNORE INTO latest_runs (project_id, merchant_id, case_id, id, status,
                started_at, ended_at, verdict, wallet, seq)
            SELECT project_id, merchant_id, case_id, id, status, started_at, ended_at,
                verdict, wallet, seq FROM runs
            WHERE project_id = NEW.project_id AND merchant_id = NEW.merchant_id
                AND case_id = NEW.case_id
            ORDER BY started_at DESC, seq DESC LIMIT 1;
    END;
    CREATE TRIGGER latest_runs_on_delete AFTER DELETE ON runs BEGIN
        DELETE FROM latest_runs
            WHERE project_id = OLD.project_id AND merchant_id = OLD.merchant_id
                AND case_id = OLD.case_id;
        INSERT OR IGNORE INTO latest_runs (project_id, merchant_id, case_id, id, status,
                started_at, ended_at, verdict, wallet, seq)
            SELECT project_id, merchant_id, case_id, id, status, started_at, ended_at,
                verdict, wallet, seq FROM runs
            WHERE project_id = OLD.project_id AND merchant_id = OLD.merchant_id
                AND case_id = OLD.case_id
            ORDER BY started_at DESC, seq DESC LIMIT 1;
    END;
    "#,
];
