#include "district/schema.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "common/names.hpp"

namespace wardcast::district {

namespace {

// init takes this advisory lock (in its transaction): two inits at once wait for each other.
constexpr const char* kInitLock = "1464029257";  // "WCDI"

// An instant as the ward's log stores it (docs/log-format.md): 2026-12-01T00:00:00.000Z.
constexpr const char* kInstant =
    "'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$'";

std::string instant_check(const char* column, bool nullable) {
    std::string check = std::string(column) + " ~ " + kInstant;
    if (nullable) check = std::string(column) + " IS NULL OR " + check;
    return "CHECK (" + check + ")";
}

// A ward's rows of `table`: its role reads and inserts them, and nothing else; auditors read all.
std::string ward_policies(const std::string& table) {
    const std::string t = "public." + table;
    const std::string own =
        "(ward IN (SELECT name FROM public.wards WHERE login_role = current_user))";
    return "ALTER TABLE " + t + " ENABLE ROW LEVEL SECURITY;\n" +  //
           "ALTER TABLE " + t + " FORCE ROW LEVEL SECURITY;\n" +   //
           "CREATE POLICY " + table + "_ward_read ON " + t + " FOR SELECT TO wardcast_ward USING " +
           own + ";\n" +  //
           "CREATE POLICY " + table + "_ward_insert ON " + t +
           " FOR INSERT TO wardcast_ward WITH CHECK " + own + ";\n" +  //
           "CREATE POLICY " + table + "_audit ON " + t +
           " FOR SELECT TO wardcast_auditor USING (true);\n" +  //
           "CREATE POLICY " + table + "_owner ON " + t +
           " TO CURRENT_USER USING (true) WITH CHECK (true);\n";
}

// The campaign tables' policies for the district's operators (read and insert), the auditors
// (read) and the owner.
std::string campaign_policies() {
    std::string out;
    for (const char* table : {"campaign_audio", "campaign_audio_chunks", "campaign_files",
                              "campaign_file_audio", "campaign_assignments"}) {
        const std::string t = std::string("public.") + table;
        out += "CREATE POLICY " + std::string(table) + "_operator_read ON " + t +
               " FOR SELECT TO wardcast_operator USING (true);\n";
        out += "CREATE POLICY " + std::string(table) + "_operator_insert ON " + t +
               " FOR INSERT TO wardcast_operator WITH CHECK (true);\n";
    }
    for (const char* table : {"campaign_audio", "campaign_audio_chunks", "campaign_files",
                              "campaign_file_audio", "campaign_assignments", "campaign_reports"}) {
        const std::string t = std::string("public.") + table;
        out += "CREATE POLICY " + std::string(table) + "_audit ON " + t +
               " FOR SELECT TO wardcast_auditor USING (true);\n";
        out += "CREATE POLICY " + std::string(table) + "_owner ON " + t +
               " TO CURRENT_USER USING (true) WITH CHECK (true);\n";
    }
    out +=
        "CREATE POLICY campaign_reports_operator ON public.campaign_reports FOR SELECT"
        " TO wardcast_operator USING (true);\n";
    return out;
}

// Schema 1. Roles are shared by the whole cluster, hence created only when missing. The
// entries table mirrors the ward's SQLite `entries` (log/broadcast_log.cpp, schema 2) column
// for column, plus `ward` and `received_at`. Every function the ward roles run pins its
// search_path (pg_temp last), so a ward cannot shadow a table with a temporary one. The
// SQLSTATEs WC001… are district/store.hpp's refusal codes. Campaigns (and a district operator
// role) come in a later step.
std::string schema_1() {
    const std::string kinds = names::sql_listed(names::entry_kinds);
    const std::string statuses = names::sql_listed(names::statuses);
    const std::string broadcast(names::name(names::EntryKind::broadcast));
    return R"sql(
CREATE TABLE public.wardcast_schema (
    version    integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'wardcast_ward') THEN
        CREATE ROLE wardcast_ward NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'wardcast_auditor') THEN
        CREATE ROLE wardcast_auditor NOLOGIN;
    END IF;
END
$roles$;

CREATE TABLE public.wards (
    name       text PRIMARY KEY
               CHECK (name ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' AND length(name) <= 48),
    login_role text NOT NULL UNIQUE,
    added_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.entries (
    ward            text NOT NULL REFERENCES public.wards (name),
    seq             bigint NOT NULL CHECK (seq >= 1),
    kind            text NOT NULL CHECK (kind IN ()sql" +
           kinds + R"sql()),
    recorded_at     text NOT NULL )sql" +
           instant_check("recorded_at", false) + R"sql(,
    station         text NOT NULL,
    announcement_id text NOT NULL,
    title           text NOT NULL,
    trigger         text NOT NULL,
    uid             bigint,
    "user"          text NOT NULL,
    zones           text NOT NULL,
    scheduled       text )sql" +
           instant_check("scheduled", true) + R"sql(,
    started         text )sql" +
           instant_check("started", true) + R"sql(,
    ended           text )sql" +
           instant_check("ended", true) + R"sql(,
    lateness_ms     bigint,
    status          text NOT NULL CHECK (kind <> ')sql" +
           broadcast + "' OR status IN (" + statuses + R"sql()),
    error           text NOT NULL,
    audio_sha256    text NOT NULL,
    schedule_sha256 text NOT NULL,
    on_air_seq      bigint,
    command         text NOT NULL,
    result          text NOT NULL,
    prev_hash       text NOT NULL,
    hash            text NOT NULL,
    aired_ms        bigint CHECK (aired_ms IS NULL OR aired_ms >= 0),
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ward, seq)
);

CREATE TABLE public.schedules (
    ward         text NOT NULL REFERENCES public.wards (name),
    sha256       text NOT NULL,
    text         text NOT NULL,
    path         text,
    first_loaded text NOT NULL )sql" +
           instant_check("first_loaded", false) + R"sql(,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ward, sha256),
    CONSTRAINT schedules_sha256_of_text
        CHECK (sha256 = encode(sha256(convert_to(text, 'UTF8')), 'hex'))
);

CREATE TABLE public.ward_status (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ward        text NOT NULL REFERENCES public.wards (name),
    reported_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    status      jsonb NOT NULL CHECK (jsonb_typeof(status) = 'object')
);
CREATE INDEX ward_status_latest ON public.ward_status (ward, received_at DESC);

-- A JSON list of strings (zones, audio_sha256) as nlohmann::json::dump() writes it: compact,
-- each string escaped by to_json(text), which escapes as dump() does. NULL when `list` is not a
-- list of strings.
CREATE FUNCTION public.wardcast_json_list(list text) RETURNS text
    LANGUAGE plpgsql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    parsed json := list::json;
    all_strings boolean;
    items text;
BEGIN
    IF json_typeof(parsed) <> 'array' THEN
        RETURN NULL;
    END IF;
    SELECT bool_and(json_typeof(e) = 'string'), string_agg(to_json(e #>> '{}')::text, ',' ORDER BY i)
      INTO all_strings, items
      FROM json_array_elements(parsed) WITH ORDINALITY AS t(e, i);
    IF all_strings IS FALSE THEN
        RETURN NULL;
    END IF;
    RETURN '[' || coalesce(items, '') || ']';
END
$fn$;

-- The chain hash of an entry, docs/log-format.md "The hash chain": SHA-256 of the compact JSON
-- array [seq, kind, …, command, result, aired_ms (only when not NULL), prev_hash].
CREATE FUNCTION public.wardcast_entry_hash(e public.entries) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    zones text := public.wardcast_json_list(e.zones);
    audio text := public.wardcast_json_list(e.audio_sha256);
BEGIN
    IF zones IS NULL OR audio IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN encode(sha256(convert_to(
        '[' || e.seq::text
        || ',' || to_json(e.kind)::text
        || ',' || to_json(e.recorded_at)::text
        || ',' || to_json(e.station)::text
        || ',' || to_json(e.announcement_id)::text
        || ',' || to_json(e.title)::text
        || ',' || to_json(e.trigger)::text
        || ',' || coalesce(e.uid::text, 'null')
        || ',' || to_json(e."user")::text
        || ',' || zones
        || ',' || coalesce(to_json(e.scheduled)::text, 'null')
        || ',' || coalesce(to_json(e.started)::text, 'null')
        || ',' || coalesce(to_json(e.ended)::text, 'null')
        || ',' || coalesce(e.lateness_ms::text, 'null')
        || ',' || to_json(e.status)::text
        || ',' || to_json(e.error)::text
        || ',' || audio
        || ',' || to_json(e.schedule_sha256)::text
        || ',' || coalesce(e.on_air_seq::text, 'null')
        || ',' || to_json(e.command)::text
        || ',' || to_json(e.result)::text
        || coalesce(',' || e.aired_ms::text, '')
        || ',' || to_json(e.prev_hash)::text
        || ']', 'UTF8')), 'hex');
END
$fn$;

-- Run as the inserting role (a ward sees its own rows only, which is all it needs). Refuses
-- what does not continue the ward's chain; skips an entry identical to the one held.
CREATE FUNCTION public.wardcast_entries_before_insert() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    what text := format('entry %s of ward %s', NEW.seq, NEW.ward);
    held public.entries;
    last_seq bigint;
    last_hash text;
BEGIN
    NEW.received_at := clock_timestamp();  -- the server's clock, whatever was sent
    IF NOT EXISTS (SELECT 1 FROM public.wards WHERE name = NEW.ward) THEN
        RAISE EXCEPTION USING ERRCODE = 'WC001', MESSAGE = format(
            '%s: there is no ward %s, or role %s may not write for it', what, NEW.ward, current_user);
    END IF;
    -- One writer per ward at a time: the tail read below stays the tail until commit.
    PERFORM pg_advisory_xact_lock(1464029253, hashtext(NEW.ward));
    SELECT * INTO held FROM public.entries WHERE ward = NEW.ward AND seq = NEW.seq;
    IF FOUND THEN
        IF to_jsonb(held) - 'received_at' = to_jsonb(NEW) - 'received_at' THEN
            RETURN NULL;  -- sent again (a reply lost): already held, nothing to add
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'WC005',
            MESSAGE = what || ': it differs from the entry the district already holds',
            DETAIL = format('held hash %s, sent hash %s', held.hash, NEW.hash);
    END IF;
    SELECT seq, hash INTO last_seq, last_hash
      FROM public.entries WHERE ward = NEW.ward ORDER BY seq DESC LIMIT 1;
    IF NEW.seq <> coalesce(last_seq, 0) + 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'WC002', MESSAGE = what || ': ' ||
            CASE WHEN NEW.seq = coalesce(last_seq, 0) + 2
                 THEN format('entry %s is missing', NEW.seq - 1)
                 ELSE format('entries %s to %s are missing', coalesce(last_seq, 0) + 1, NEW.seq - 1)
            END ||
            CASE WHEN last_seq IS NULL THEN ' (the district holds none of this ward''s entries)'
                 ELSE format(' (the district holds entries 1 to %s)', last_seq)
            END;
    END IF;
    IF NEW.prev_hash IS DISTINCT FROM coalesce(last_hash, repeat('0', 64)) THEN
        RAISE EXCEPTION USING ERRCODE = 'WC003', MESSAGE = what || CASE
            WHEN last_seq IS NULL THEN ': its prev_hash is not 64 zeros, as the first entry''s is'
            ELSE format(': its prev_hash is not the hash of entry %s', last_seq) END,
            DETAIL = format('expected %s, sent %s', coalesce(last_hash, repeat('0', 64)),
                            NEW.prev_hash);
    END IF;
    IF public.wardcast_json_list(NEW.zones) IS NULL
       OR public.wardcast_json_list(NEW.audio_sha256) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'WC006',
            MESSAGE = what || ': its zones or audio_sha256 is not a JSON list of strings';
    END IF;
    IF NEW.hash IS DISTINCT FROM public.wardcast_entry_hash(NEW) THEN
        RAISE EXCEPTION USING ERRCODE = 'WC004',
            MESSAGE = what || ': its hash does not match its content',
            DETAIL = format('content hashes to %s, sent hash %s', public.wardcast_entry_hash(NEW),
                            NEW.hash);
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER entries_chain BEFORE INSERT ON public.entries
    FOR EACH ROW EXECUTE FUNCTION public.wardcast_entries_before_insert();

CREATE FUNCTION public.wardcast_schedules_before_insert() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    what text := format('schedule %s of ward %s', NEW.sha256, NEW.ward);
    held public.schedules;
BEGIN
    NEW.received_at := clock_timestamp();
    IF NOT EXISTS (SELECT 1 FROM public.wards WHERE name = NEW.ward) THEN
        RAISE EXCEPTION USING ERRCODE = 'WC001', MESSAGE = format(
            '%s: there is no ward %s, or role %s may not write for it', what, NEW.ward, current_user);
    END IF;
    IF NEW.sha256 IS DISTINCT FROM encode(sha256(convert_to(NEW.text, 'UTF8')), 'hex') THEN
        RAISE EXCEPTION USING ERRCODE = 'WC004', MESSAGE = what || ': its sha256 does not match its text';
    END IF;
    PERFORM pg_advisory_xact_lock(1464029253, hashtext(NEW.ward));
    SELECT * INTO held FROM public.schedules WHERE ward = NEW.ward AND sha256 = NEW.sha256;
    IF FOUND THEN
        IF to_jsonb(held) - 'received_at' = to_jsonb(NEW) - 'received_at' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'WC005',
            MESSAGE = what || ': it differs from the schedule the district already holds';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER schedules_check BEFORE INSERT ON public.schedules
    FOR EACH ROW EXECUTE FUNCTION public.wardcast_schedules_before_insert();

CREATE FUNCTION public.wardcast_status_before_insert() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    NEW.received_at := clock_timestamp();
    IF NOT EXISTS (SELECT 1 FROM public.wards WHERE name = NEW.ward) THEN
        RAISE EXCEPTION USING ERRCODE = 'WC001', MESSAGE = format(
            'status of ward %s: there is no ward %s, or role %s may not write for it',
            NEW.ward, NEW.ward, current_user);
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER ward_status_check BEFORE INSERT ON public.ward_status
    FOR EACH ROW EXECUTE FUNCTION public.wardcast_status_before_insert();

-- Row-level security, forced on the owner too (who gets a policy of its own): a ward role
-- reads and inserts its own ward's rows, an auditor reads everything, nobody else anything.
ALTER TABLE public.wards ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.wards FORCE ROW LEVEL SECURITY;
CREATE POLICY wards_own ON public.wards FOR SELECT TO wardcast_ward
    USING (login_role = current_user);
CREATE POLICY wards_audit ON public.wards FOR SELECT TO wardcast_auditor USING (true);
CREATE POLICY wards_owner ON public.wards TO CURRENT_USER USING (true) WITH CHECK (true);
)sql" + ward_policies("entries") +
           ward_policies("schedules") + ward_policies("ward_status") + R"sql(
REVOKE ALL ON public.wardcast_schema, public.wards, public.entries, public.schedules,
    public.ward_status FROM PUBLIC;
GRANT SELECT ON public.wardcast_schema, public.wards TO wardcast_ward, wardcast_auditor;
GRANT SELECT, INSERT ON public.entries, public.schedules, public.ward_status TO wardcast_ward;
GRANT SELECT ON public.entries, public.schedules, public.ward_status TO wardcast_auditor;
)sql";
}

// Schema 2: ward_status no longer grows forever (200 wards every 10 s is 1.7 million rows a
// day). After each heartbeat, that ward's heartbeats received more than an hour before it are
// deleted: a ward's latest row always stays, and a ward that went silent keeps its last one.
// The ward roles still may not DELETE: the trigger's function runs as the schema owner (SECURITY
// DEFINER, the tables' owner, whose policy lets it), is no function anyone can call, and
// deletes only rows of the ward just inserted for (which row-level security checked), older
// than the server's own received_at. The rows an upgraded store held are pruned the same way.
std::string schema_2() {
    return R"sql(
CREATE FUNCTION public.wardcast_status_after_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    DELETE FROM public.ward_status
     WHERE ward = NEW.ward AND received_at < NEW.received_at - interval '1 hour';
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION public.wardcast_status_after_insert() FROM PUBLIC;
DO $owner$
BEGIN
    -- Whoever runs this step, the function is the tables' owner's (a superuser may upgrade a
    -- store another role set up).
    EXECUTE format('ALTER FUNCTION public.wardcast_status_after_insert() OWNER TO %I',
                   (SELECT tableowner FROM pg_catalog.pg_tables
                     WHERE schemaname = 'public' AND tablename = 'ward_status'));
END
$owner$;
CREATE TRIGGER ward_status_prune AFTER INSERT ON public.ward_status
    FOR EACH ROW EXECUTE FUNCTION public.wardcast_status_after_insert();

DELETE FROM public.ward_status s
 USING (SELECT ward, max(received_at) AS latest FROM public.ward_status GROUP BY ward) l
 WHERE s.ward = l.ward AND s.received_at < l.latest - interval '1 hour';
)sql";
}

// Schema 3: campaigns (SPEC §9). The district's operators (wardcast_operator) publish campaign
// files and their audio and assign them to wards; every table is append-only for them as for
// the wards (INSERT and SELECT only): a new version or a withdrawal is a new assignment row, so
// the store keeps who published, assigned and withdrew what, when. Audio is stored once per
// SHA-256, in chunks of at most 1 MiB. A ward reads only the assignments for itself and the
// files and audio they name, and inserts its own reports of what it did with them.
std::string schema_3() {
    return R"sql(
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'wardcast_operator') THEN
        CREATE ROLE wardcast_operator NOLOGIN;
    END IF;
END
$roles$;

CREATE TABLE public.campaign_audio (
    sha256   text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size     bigint NOT NULL CHECK (size >= 0),
    chunks   integer NOT NULL CHECK (chunks >= 0),
    added_at timestamptz NOT NULL DEFAULT now(),
    added_by text NOT NULL DEFAULT current_user
);

CREATE TABLE public.campaign_audio_chunks (
    sha256 text NOT NULL REFERENCES public.campaign_audio (sha256),
    n      integer NOT NULL CHECK (n >= 0),
    data   bytea NOT NULL CHECK (length(data) <= 1048576),
    PRIMARY KEY (sha256, n)
);

CREATE TABLE public.campaign_files (
    campaign     text NOT NULL
                 CHECK (campaign ~ '^[a-z0-9][a-z0-9._-]*$' AND length(campaign) <= 64),
    version      integer NOT NULL CHECK (version >= 1),
    file_name    text NOT NULL,
    sha256       text NOT NULL,
    text         text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    published_by text NOT NULL DEFAULT current_user,
    PRIMARY KEY (campaign, version),
    CONSTRAINT campaign_files_sha256_of_text
        CHECK (sha256 = encode(sha256(convert_to(text, 'UTF8')), 'hex'))
);

CREATE TABLE public.campaign_file_audio (
    campaign text NOT NULL,
    version  integer NOT NULL,
    path     text NOT NULL CHECK (path <> '' AND path !~ '(^|/)\.' AND left(path, 1) <> '/'),
    sha256   text NOT NULL REFERENCES public.campaign_audio (sha256),
    PRIMARY KEY (campaign, version, path),
    FOREIGN KEY (campaign, version) REFERENCES public.campaign_files (campaign, version)
);

CREATE TABLE public.campaign_assignments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign    text NOT NULL,
    version     integer NOT NULL,
    ward        text NOT NULL REFERENCES public.wards (name),
    withdrawn   boolean NOT NULL DEFAULT false,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    assigned_by text NOT NULL DEFAULT current_user,
    FOREIGN KEY (campaign, version) REFERENCES public.campaign_files (campaign, version)
);
CREATE INDEX campaign_assignments_latest ON public.campaign_assignments (ward, campaign, id DESC);

CREATE TABLE public.campaign_reports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ward            text NOT NULL REFERENCES public.wards (name),
    campaign        text NOT NULL,
    version         integer NOT NULL,
    state           text NOT NULL CHECK (state IN ('installed', 'refused', 'failed', 'withdrawn')),
    errors          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(errors) = 'array'),
    warnings        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(warnings) = 'array'),
    schedule_sha256 text NOT NULL DEFAULT '',
    checked_against text NOT NULL DEFAULT '',
    reported_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (campaign, version) REFERENCES public.campaign_files (campaign, version)
);
CREATE INDEX campaign_reports_latest ON public.campaign_reports (ward, campaign, id DESC);

CREATE FUNCTION public.wardcast_campaign_report_before_insert() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    NEW.received_at := clock_timestamp();
    IF NOT EXISTS (SELECT 1 FROM public.wards WHERE name = NEW.ward) THEN
        RAISE EXCEPTION USING ERRCODE = 'WC001', MESSAGE = format(
            'campaign report of ward %s: there is no ward %s, or role %s may not write for it',
            NEW.ward, NEW.ward, current_user);
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER campaign_reports_check BEFORE INSERT ON public.campaign_reports
    FOR EACH ROW EXECUTE FUNCTION public.wardcast_campaign_report_before_insert();

ALTER TABLE public.campaign_audio ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_audio FORCE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_audio_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_audio_chunks FORCE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_files FORCE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_file_audio ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_file_audio FORCE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_assignments FORCE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_reports FORCE ROW LEVEL SECURITY;

-- A ward: its own assignments, the files they name, and those files' audio. The subqueries
-- are themselves filtered by these policies, so a ward reaches nothing assigned elsewhere.
CREATE POLICY campaign_assignments_ward ON public.campaign_assignments FOR SELECT
    TO wardcast_ward
    USING (ward IN (SELECT name FROM public.wards WHERE login_role = current_user));
CREATE POLICY campaign_files_ward ON public.campaign_files FOR SELECT TO wardcast_ward
    USING ((campaign, version) IN (SELECT a.campaign, a.version
                                     FROM public.campaign_assignments a));
CREATE POLICY campaign_file_audio_ward ON public.campaign_file_audio FOR SELECT TO wardcast_ward
    USING ((campaign, version) IN (SELECT a.campaign, a.version
                                     FROM public.campaign_assignments a));
CREATE POLICY campaign_audio_ward ON public.campaign_audio FOR SELECT TO wardcast_ward
    USING (sha256 IN (SELECT fa.sha256 FROM public.campaign_file_audio fa));
CREATE POLICY campaign_audio_chunks_ward ON public.campaign_audio_chunks FOR SELECT
    TO wardcast_ward
    USING (sha256 IN (SELECT fa.sha256 FROM public.campaign_file_audio fa));
CREATE POLICY campaign_reports_ward_read ON public.campaign_reports FOR SELECT TO wardcast_ward
    USING (ward IN (SELECT name FROM public.wards WHERE login_role = current_user));
CREATE POLICY campaign_reports_ward_insert ON public.campaign_reports FOR INSERT
    TO wardcast_ward
    WITH CHECK (ward IN (SELECT name FROM public.wards WHERE login_role = current_user));

-- The district's operators publish (insert) and read campaigns, and read the wards' state;
-- auditors read everything; the owner keeps a policy of its own.
)sql" + campaign_policies() +
           R"sql(
CREATE POLICY wards_operator ON public.wards FOR SELECT TO wardcast_operator USING (true);
CREATE POLICY entries_operator ON public.entries FOR SELECT TO wardcast_operator USING (true);
CREATE POLICY schedules_operator ON public.schedules FOR SELECT TO wardcast_operator
    USING (true);
CREATE POLICY ward_status_operator ON public.ward_status FOR SELECT TO wardcast_operator
    USING (true);

REVOKE ALL ON public.campaign_audio, public.campaign_audio_chunks, public.campaign_files,
    public.campaign_file_audio, public.campaign_assignments, public.campaign_reports FROM PUBLIC;
GRANT SELECT ON public.wardcast_schema, public.wards, public.entries, public.schedules,
    public.ward_status, public.campaign_reports TO wardcast_operator;
GRANT SELECT, INSERT ON public.campaign_audio, public.campaign_audio_chunks,
    public.campaign_files, public.campaign_file_audio, public.campaign_assignments
    TO wardcast_operator;
GRANT SELECT ON public.campaign_audio, public.campaign_audio_chunks, public.campaign_files,
    public.campaign_file_audio, public.campaign_assignments, public.campaign_reports
    TO wardcast_ward, wardcast_auditor;
GRANT INSERT ON public.campaign_reports TO wardcast_ward;
)sql";
}

// Step i takes the database from version i to i + 1.
std::string migration(int from) {
    switch (from) {
        case 0:
            return schema_1();
        case 1:
            return schema_2();
        case 2:
            return schema_3();
    }
    throw std::logic_error("no migration from schema " + std::to_string(from));
}

}  // namespace

int current_schema_version(pg::Connection& conn) {
    const std::string what = "cannot read the schema version of database " + conn.dbname();
    if (conn.exec("SELECT to_regclass('public.wardcast_schema') IS NULL", {}, what).text(0, 0) ==
        "t") {
        return 0;
    }
    return static_cast<int>(
        conn.exec("SELECT coalesce(max(version), 0) FROM public.wardcast_schema", {}, what)
            .int64(0, 0));
}

void require_current_schema(pg::Connection& conn) {
    const int version = current_schema_version(conn);
    if (version == 0) {
        throw std::runtime_error("the district store in database " + conn.dbname() +
                                 " is not set up (run wardcast-district init)");
    }
    if (version != schema_version) {
        throw std::runtime_error("the district store in database " + conn.dbname() +
                                 " is at schema " + std::to_string(version) +
                                 "; this wardcast reads schema " + std::to_string(schema_version) +
                                 (version < schema_version ? " (run wardcast-district init)" : ""));
    }
}

InitOutcome init_schema(pg::Connection& conn, int up_to) {
    if (up_to < 1 || up_to > schema_version) {
        throw std::invalid_argument("init_schema: no schema version " + std::to_string(up_to));
    }
    const std::string what = "cannot set up the district store in database " + conn.dbname();
    const std::string encoding =
        conn.exec("SELECT current_setting('server_encoding')", {}, what).text(0, 0);
    if (encoding != "UTF8") {
        // The chain is hashed over UTF-8 text: another encoding cannot hold it byte for byte.
        throw std::runtime_error(what + ": its encoding is " + encoding +
                                 ", not UTF8 (create it with createdb -E UTF8 -T template0)");
    }
    pg::Transaction tx(conn, what);
    conn.exec("SELECT pg_advisory_xact_lock($1)", {kInitLock}, what);
    InitOutcome outcome;
    outcome.from = current_schema_version(conn);
    if (outcome.from > schema_version) {
        throw std::runtime_error(what + ": it is at schema " + std::to_string(outcome.from) +
                                 ", newer than this wardcast-district (" +
                                 std::to_string(schema_version) + ")");
    }
    for (int v = outcome.from; v < up_to; ++v) {
        const std::string step = what + " (schema " + std::to_string(v + 1) + ")";
        conn.exec_script(migration(v), step);
        conn.exec("INSERT INTO public.wardcast_schema (version) VALUES ($1)",
                  {std::to_string(v + 1)}, step);
    }
    tx.commit();
    outcome.to = std::max(outcome.from, up_to);
    return outcome;
}

}  // namespace wardcast::district
