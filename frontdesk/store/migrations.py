"""The case store's schema as named, ordered migrations; each is applied once and recorded in the database."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One schema step: a name that sorts in order, and the statements that make it."""

    name: str
    statements: tuple[str, ...]


INITIAL = Migration("0001_initial", (
    """CREATE TABLE citizens (
        platform     TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        chat_id      TEXT NOT NULL DEFAULT '',
        display_name TEXT NOT NULL DEFAULT '',
        language     TEXT,                      -- chosen with /lang; NULL until the citizen picks one
        updated_at   REAL NOT NULL,
        PRIMARY KEY (platform, user_id)
    )""",
    """CREATE TABLE cases (
        number           INTEGER PRIMARY KEY AUTOINCREMENT,  -- the human-friendly case number (#12)
        platform         TEXT NOT NULL,
        user_id          TEXT NOT NULL,
        chat_id          TEXT NOT NULL,
        display_name     TEXT NOT NULL DEFAULT '',
        citizen_language TEXT,                               -- the language the platform reported
        language         TEXT NOT NULL,                      -- the language the case is conducted in
        reason           TEXT NOT NULL,
        category         TEXT,
        priority         TEXT NOT NULL CHECK (priority IN ('urgent', 'high', 'normal')),
        status           TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'resolved', 'cancelled', 'closed')),
        question         TEXT NOT NULL,
        operator_id      TEXT,
        department       TEXT,
        summary          TEXT,
        citizen_blocked  INTEGER NOT NULL DEFAULT 0,
        created_at       REAL NOT NULL,
        updated_at       REAL NOT NULL,
        queued_at        REAL NOT NULL,
        claimed_at       REAL,
        first_claimed_at REAL,
        resolved_at      REAL,
        cancelled_at     REAL,
        closed_at        REAL,
        escalated_at     REAL,
        CHECK (status <> 'claimed' OR operator_id IS NOT NULL)
    )""",
    # A citizen has at most one active case: a second handoff racing the first cannot open a twin.
    "CREATE UNIQUE INDEX cases_one_active ON cases (platform, user_id) WHERE status IN ('open', 'claimed')",
    "CREATE INDEX cases_status ON cases (status, priority, created_at)",
    "CREATE INDEX cases_operator ON cases (operator_id, status)",
    "CREATE INDEX cases_citizen ON cases (platform, user_id, status)",
    """CREATE TABLE case_messages (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        case_number         INTEGER NOT NULL REFERENCES cases (number),
        author              TEXT NOT NULL CHECK (author IN ('citizen', 'bot', 'operator', 'note', 'system')),
        text                TEXT NOT NULL,
        operator_id         TEXT,
        platform_message_id TEXT,
        attachment_kind     TEXT,
        attachment_ref      TEXT,
        attachment_caption  TEXT,
        created_at          REAL NOT NULL
    )""",
    # A redelivered platform update must not add a second line.
    """CREATE UNIQUE INDEX case_messages_platform_id ON case_messages (case_number, author, platform_message_id)
        WHERE platform_message_id IS NOT NULL""",
    "CREATE INDEX case_messages_case ON case_messages (case_number, id)",
    """CREATE TABLE case_events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        case_number INTEGER NOT NULL REFERENCES cases (number),
        kind        TEXT NOT NULL,
        actor       TEXT NOT NULL,
        at          REAL NOT NULL,
        target      TEXT,
        detail      TEXT
    )""",
    "CREATE INDEX case_events_case ON case_events (case_number, id)",
    "CREATE INDEX case_events_kind ON case_events (kind, at)",
    """CREATE TABLE operator_shifts (
        operator_id TEXT PRIMARY KEY,
        on_duty     INTEGER NOT NULL,
        since       REAL NOT NULL
    )""",
    """CREATE TABLE notices (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        operator_id TEXT NOT NULL,
        kind        TEXT NOT NULL,
        case_number INTEGER NOT NULL REFERENCES cases (number),
        actor       TEXT,
        detail      TEXT,
        created_at  REAL NOT NULL,
        seen_at     REAL
    )""",
    "CREATE INDEX notices_unseen ON notices (operator_id, id) WHERE seen_at IS NULL",
    """CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        case_number     INTEGER REFERENCES cases (number),
        message_id      INTEGER REFERENCES case_messages (id),
        platform        TEXT NOT NULL,
        chat_id         TEXT NOT NULL,
        text            TEXT NOT NULL,
        author_operator TEXT,
        status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        created_at      REAL NOT NULL,
        delivered_at    REAL
    )""",
    "CREATE INDEX outbox_pending ON outbox (status, platform)",
))

OUTBOX_RETRY = Migration("0002_outbox_retry", (
    "ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE outbox ADD COLUMN next_attempt_at REAL NOT NULL DEFAULT 0",
    "ALTER TABLE outbox ADD COLUMN last_error TEXT",
    "ALTER TABLE outbox ADD COLUMN platform_message_id TEXT",
    "UPDATE outbox SET next_attempt_at = created_at",
    "DROP INDEX outbox_pending",
    # Delivery keeps each chat in order: the worker looks for the oldest pending item per chat.
    "CREATE INDEX outbox_chat_pending ON outbox (platform, chat_id, id) WHERE status = 'pending'",
    "CREATE INDEX outbox_case ON outbox (case_number, status)",
))

INTERACTIONS = Migration("0003_interactions", (
    """CREATE TABLE interactions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          REAL NOT NULL,
        platform    TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        language    TEXT NOT NULL,
        text        TEXT NOT NULL,
        decision    TEXT NOT NULL,                 -- answer | suggest | handoff | greeting ... as the desk decided
        intent      TEXT,
        entry_id    TEXT,
        score       REAL,
        case_number INTEGER REFERENCES cases (number),
        helpful     INTEGER,                       -- NULL: no verdict; 1 helpful; 0 not helpful
        feedback_at REAL
    )""",
    "CREATE INDEX interactions_at ON interactions (at)",
    "CREATE INDEX interactions_entry ON interactions (entry_id, at)",
))

CASE_POSTS = Migration("0004_case_posts", (
    """CREATE TABLE case_posts (
        platform    TEXT NOT NULL,
        chat_id     TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        case_number INTEGER NOT NULL REFERENCES cases (number),
        kind        TEXT NOT NULL,                 -- card | citizen | reply | escalation ...
        created_at  REAL NOT NULL,
        PRIMARY KEY (platform, chat_id, message_id)
    )""",
    "CREATE INDEX case_posts_case ON case_posts (case_number)",
))

# An operator marks a claimed or resolved case "add to FAQ" (who and when: a `marked_for_faq` case event);
# `faq gaps` lists it with faq_draft, or else the operator's last reply, as the draft answer. Before this,
# operators marked a case with an internal note starting "#faq"; those marks are carried over once here.
_FAQ_NOTE = "author = 'note' AND lower(substr(text, 1, 4)) = '#faq'"
CASE_FAQ = Migration("0005_case_faq", (
    "ALTER TABLE cases ADD COLUMN add_to_faq INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE cases ADD COLUMN faq_draft TEXT",
    f"""INSERT INTO case_events (case_number, kind, actor, at, detail)
        SELECT case_number, 'marked_for_faq', COALESCE(operator_id, 'system'), created_at,
               NULLIF(trim(substr(text, 5), ' :：' || char(9, 10, 13)), '')
        FROM case_messages WHERE {_FAQ_NOTE} ORDER BY id""",
    """UPDATE cases SET add_to_faq = 1,
           faq_draft = (SELECT e.detail FROM case_events e
                        WHERE e.case_number = cases.number AND e.kind = 'marked_for_faq' AND e.detail IS NOT NULL
                        ORDER BY e.id DESC LIMIT 1)
       WHERE number IN (SELECT case_number FROM case_events WHERE kind = 'marked_for_faq')""",
))

# The Telegram operators' room finds a case's card in case_posts after a restart instead of posting a new one;
# for that a post records its forum topic and whether it is pinned. Before this, the topic was only implied: a
# case's "topic" post (message_id = the topic's thread id) in the same chat, so existing posts take it from
# there. The old code pinned every card of an urgent active case and unpinned none it had forgotten.
CASE_POST_THREADS = Migration("0006_case_post_threads", (
    "ALTER TABLE case_posts ADD COLUMN thread_id TEXT",
    "ALTER TABLE case_posts ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
    "UPDATE case_posts SET thread_id = message_id WHERE kind = 'topic'",
    """UPDATE case_posts SET thread_id = (
           SELECT t.message_id FROM case_posts t
           WHERE t.kind = 'topic' AND t.platform = case_posts.platform AND t.chat_id = case_posts.chat_id
             AND t.case_number = case_posts.case_number AND t.created_at <= case_posts.created_at
           ORDER BY t.created_at DESC, t.rowid DESC LIMIT 1)
       WHERE kind <> 'topic'""",
    """UPDATE case_posts SET pinned = 1
       WHERE kind = 'card' AND case_number IN (
           SELECT number FROM cases WHERE priority = 'urgent' AND status IN ('open', 'claimed'))""",
))

MIGRATIONS: tuple[Migration, ...] = (INITIAL, OUTBOX_RETRY, INTERACTIONS, CASE_POSTS, CASE_FAQ, CASE_POST_THREADS)
