-- A broadcast log at schema 1 (before entries.aired_ms), written by wardcast's BroadcastLog as
-- it was then (commit aeb964a) and dumped with `sqlite3 FILE .dump`: its rows carry the hashes
-- the old code computed. Tests load it to check that a migrated file still verifies.
-- .dump leaves out the file's pragmas: they follow as the old code set them.
PRAGMA application_id = 1464028231;
PRAGMA user_version = 1;
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schedules (
    sha256       TEXT PRIMARY KEY,
    text         TEXT NOT NULL,
    path         TEXT,
    first_loaded TEXT NOT NULL
);
INSERT INTO schedules VALUES('5555555555555555555555555555555555555555555555555555555555555555',replace('station:\n  name: Phường Bồ Đề\n','\n',char(10)),'/etc/wardcast/schedule.yaml','2026-12-02T03:47:53.871Z');
CREATE TABLE entries (
    seq             INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('on_air', 'broadcast', 'operator')),
    recorded_at     TEXT NOT NULL,
    station         TEXT NOT NULL,
    announcement_id TEXT NOT NULL,
    title           TEXT NOT NULL,
    trigger         TEXT NOT NULL,
    uid             INTEGER,
    user            TEXT NOT NULL,
    zones           TEXT NOT NULL,
    scheduled       TEXT,
    started         TEXT,
    ended           TEXT,
    lateness_ms     INTEGER,
    status          TEXT NOT NULL CHECK (kind <> 'broadcast' OR status IN ('played', 'failed',
                        'skipped', 'missed', 'preempted', 'cancelled', 'interrupted')),
    error           TEXT NOT NULL,
    audio_sha256    TEXT NOT NULL,
    schedule_sha256 TEXT NOT NULL,
    on_air_seq      INTEGER REFERENCES entries(seq),
    command         TEXT NOT NULL,
    result          TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
INSERT INTO entries VALUES(1,'operator','2026-12-02T03:47:53.874Z','Phường Bồ Đề','','','',998,'wardcast','[]',NULL,NULL,NULL,NULL,'','','[]','5555555555555555555555555555555555555555555555555555555555555555',NULL,'load-schedule /etc/wardcast/schedule.yaml (start)','ok','0000000000000000000000000000000000000000000000000000000000000000','d31b3464559ed1e0c757838eddd84bdd96951702ea4f3b3550d527c43510928b');
INSERT INTO entries VALUES(2,'on_air','2026-12-02T03:47:53.878Z','Phường Bồ Đề','ban-tin-sang','Bản tin sáng','schedule',NULL,'','["cho","truong-hoc"]','2026-12-01T23:00:00.000Z','2026-12-01T23:00:00.012Z',NULL,NULL,'','','["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]','5555555555555555555555555555555555555555555555555555555555555555',NULL,'','','d31b3464559ed1e0c757838eddd84bdd96951702ea4f3b3550d527c43510928b','d854c1c0898a7bf03eaf52ba17aa0b90f1619ef9bd0c55b65007e506c3343e22');
INSERT INTO entries VALUES(3,'broadcast','2026-12-02T03:47:53.881Z','Phường Bồ Đề','ban-tin-sang','Bản tin sáng','schedule',NULL,'','["cho","truong-hoc"]','2026-12-01T23:00:00.000Z','2026-12-01T23:00:00.012Z','2026-12-01T23:03:05.412Z',12,'played','','["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]','5555555555555555555555555555555555555555555555555555555555555555',2,'','','d854c1c0898a7bf03eaf52ba17aa0b90f1619ef9bd0c55b65007e506c3343e22','892067c97904841500b14edf3d7a93ebb879a5d3e419fa29ca612430c37ce2e5');
INSERT INTO entries VALUES(4,'broadcast','2026-12-02T03:47:53.886Z','Phường Bồ Đề','thong-bao','Thông báo "tiêm phòng"','schedule',NULL,'','["cho","truong-hoc"]','2026-12-01T23:05:00.000Z',NULL,NULL,NULL,'skipped','zones busy with ban-tin-sang','["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]','5555555555555555555555555555555555555555555555555555555555555555',NULL,'','','892067c97904841500b14edf3d7a93ebb879a5d3e419fa29ca612430c37ce2e5','c403697f765efc0bb88a0c89e4ac946dc954a6919a80414155a35e1e1c117c55');
INSERT INTO entries VALUES(5,'on_air','2026-12-02T03:47:53.890Z','Phường Bồ Đề','nhac','Nhạc','schedule',NULL,'','["cho","truong-hoc"]','2026-12-02T01:00:00.000Z',NULL,NULL,NULL,'','','["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]','5555555555555555555555555555555555555555555555555555555555555555',NULL,'','','c403697f765efc0bb88a0c89e4ac946dc954a6919a80414155a35e1e1c117c55','cd03a77bfb3e6826cc52d3519eb15aca39ee0f959bf9652782af1da8aa06b7de');
INSERT INTO entries VALUES(6,'broadcast','2026-12-02T03:47:53.894Z','Phường Bồ Đề','nhac','Nhạc','schedule',NULL,'','["cho","truong-hoc"]','2026-12-02T01:00:00.000Z',NULL,'2026-12-02T01:00:00.200Z',NULL,'failed','/srv/nhac.mp3: Resource not found.','["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]','5555555555555555555555555555555555555555555555555555555555555555',5,'','','cd03a77bfb3e6826cc52d3519eb15aca39ee0f959bf9652782af1da8aa06b7de','647b81b25d06e2f660460d1e4a4dafcd953c0ea5a7edb4620559c72b552cb07d');
INSERT INTO entries VALUES(7,'on_air','2026-12-02T03:47:53.898Z','Phường Bồ Đề','dai-phat','Tiếp sóng','schedule',NULL,'','["cho","truong-hoc"]','2026-12-02T04:00:00.000Z','2026-12-02T04:00:00.003Z',NULL,NULL,'','','["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]','5555555555555555555555555555555555555555555555555555555555555555',NULL,'','','647b81b25d06e2f660460d1e4a4dafcd953c0ea5a7edb4620559c72b552cb07d','8264787aef2e046791e4a441a26ed8aaaf11179cb0b404644b1dd7b6af4ec5c3');
INSERT INTO entries VALUES(8,'broadcast','2026-12-02T03:47:53.899Z','Phường Bồ Đề','dai-phat','Tiếp sóng','schedule',NULL,'','["cho","truong-hoc"]','2026-12-02T04:00:00.000Z','2026-12-02T04:00:00.003Z','2026-12-02T04:02:00.000Z',3,'cancelled','','["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]','5555555555555555555555555555555555555555555555555555555555555555',7,'','','8264787aef2e046791e4a441a26ed8aaaf11179cb0b404644b1dd7b6af4ec5c3','b6ba7c425f5202628007a233cf2d22cf87da227e3730d9704ce37e1ba89cee0c');
INSERT INTO entries VALUES(9,'operator','2026-12-02T03:47:53.902Z','Phường Bồ Đề','','','operator',1000,'can-bo','[]',NULL,NULL,NULL,NULL,'','','[]','5555555555555555555555555555555555555555555555555555555555555555',NULL,'stop','ok: stopped dai-phat','b6ba7c425f5202628007a233cf2d22cf87da227e3730d9704ce37e1ba89cee0c','e927a47d5c302b0a6a18f3a7eb073bcd35dca8f62b1efcb30d20f5d327ddb6f0');
CREATE TABLE claims (
    announcement_id TEXT NOT NULL,
    scheduled       TEXT NOT NULL,
    seq             INTEGER NOT NULL REFERENCES entries(seq),
    PRIMARY KEY (announcement_id, scheduled)
) WITHOUT ROWID;
INSERT INTO claims VALUES('ban-tin-sang','2026-12-01T23:00:00.000Z',2);
INSERT INTO claims VALUES('dai-phat','2026-12-02T04:00:00.000Z',7);
INSERT INTO claims VALUES('nhac','2026-12-02T01:00:00.000Z',5);
INSERT INTO claims VALUES('thong-bao','2026-12-01T23:05:00.000Z',4);
CREATE INDEX entries_scheduled ON entries(scheduled);
CREATE INDEX entries_announcement ON entries(announcement_id, scheduled);
CREATE UNIQUE INDEX entries_outcome ON entries(on_air_seq) WHERE on_air_seq IS NOT NULL;
CREATE INDEX claims_scheduled ON claims(scheduled);
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
CREATE TRIGGER claims_no_update BEFORE UPDATE ON claims
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
CREATE TRIGGER claims_no_delete BEFORE DELETE ON claims
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
CREATE TRIGGER schedules_no_update BEFORE UPDATE ON schedules
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
CREATE TRIGGER schedules_no_delete BEFORE DELETE ON schedules
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
COMMIT;
