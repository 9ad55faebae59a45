package sessions

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/providers/verifime"
)

// Store keeps every delivery kycwatch answered, raw, in SQLite.
type Store struct {
	db   *sql.DB
	path string
	// wmu serialises writes: SQLite takes one writer at a time, and
	// writers that queue here do not spin in its busy handler.
	wmu sync.Mutex

	events  Publisher // the app's bus (nil: none)
	insStmt *sql.Stmt

	// Duplicate detection (dups.go): under wmu.
	bodies               bodyIndex
	bodyStmt             *sql.Stmt
	filter               *bodyFilter // nil until built
	filterBuilding       bool
	flushedWhileBuilding [][32]byte
	filterBuilt          chan struct{} // closed when the filter is built (or failed)
	stopFilter           context.CancelFunc

	// Deliveries go through one writer, in groups (writer.go).
	writes  chan *pendingWrite
	written chan struct{} // closed when the writer has finished
	closeMu sync.RWMutex  // Append holds it to send; Close to close writes
	closed  bool
	last    atomic.Int64 // the newest seq
	recent  *recentRing  // the newest summaries, as committed
	count   atomic.Int64 // deliveries held

	// Search indexing follows the store beside the hot path, into a
	// database of its own (search.go).
	search     *sql.DB
	imu        sync.Mutex // held by an indexing batch, and to delete from the index
	indexedTo  atomic.Int64
	lastCommit atomic.Int64 // unix nanoseconds of the writer's last commit
	indexWake  chan struct{}
	indexStop  chan struct{}
	indexed    chan struct{} // closed when the indexer has finished
	// Checkpoints (the WAL copied back into the database) run beside the
	// writer, not inside its commits.
	checkpointWake  chan struct{}
	checkpointed    chan struct{} // closed when the checkpointer has finished
	sinceCheckpoint atomic.Int64  // deliveries committed since the last one
	closing         sync.Once
}

// Option sets up a store at Open.
type Option func(*Store)

// WithEvents makes the store publish a Stored event after each commit of
// deliveries, and after a prune or a clear.
func WithEvents(p Publisher) Option { return func(s *Store) { s.events = p } }

const schema = `
CREATE TABLE IF NOT EXISTS deliveries (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	received_at  INTEGER NOT NULL,           -- unix nanoseconds, UTC
	method       TEXT    NOT NULL,
	path         TEXT    NOT NULL,
	remote_addr  TEXT    NOT NULL DEFAULT '',
	headers      TEXT    NOT NULL,           -- JSON: name -> values, as received
	body         BLOB,                       -- exact bytes (first 64 KiB when truncated)
	body_size    INTEGER NOT NULL,           -- bytes received, or declared when refused
	truncated    INTEGER NOT NULL DEFAULT 0,
	body_sha256  BLOB,
	status       INTEGER NOT NULL,           -- HTTP status answered
	kind         TEXT    NOT NULL,
	provider     TEXT    NOT NULL DEFAULT '',
	session_id   TEXT    NOT NULL DEFAULT '',
	attempt_id   TEXT    NOT NULL DEFAULT '',
	code         INTEGER NOT NULL DEFAULT 0,
	state        TEXT    NOT NULL DEFAULT '',
	vendor_data  TEXT    NOT NULL DEFAULT '',
	end_user_id  TEXT    NOT NULL DEFAULT '',
	signature    TEXT    NOT NULL,
	api_key      TEXT    NOT NULL,
	note         TEXT    NOT NULL DEFAULT '',    -- decode's one-line summary
	risk_level   TEXT    NOT NULL DEFAULT '',
	reason       TEXT    NOT NULL DEFAULT '',
	sig_header   TEXT    NOT NULL DEFAULT '',
	duplicate_of INTEGER NOT NULL DEFAULT 0
);

-- Arrival order, nearly seq's: each group commit writes to its last page
-- only. It counts the deliveries at start (count(*) reads the smallest
-- index, not a table of bodies) and finds what --keep 30d prunes.
CREATE INDEX IF NOT EXISTS deliveries_received ON deliveries(received_at);
CREATE TABLE IF NOT EXISTS bodies (             -- the first delivery of each body not itself a duplicate (dups.go)
	sha256       BLOB    PRIMARY KEY,
	seq          INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS test_sessions (  -- sessions created from kycwatch
	id           TEXT    PRIMARY KEY,
	created_at   INTEGER NOT NULL,           -- unix nanoseconds, UTC
	source       TEXT    NOT NULL,           -- simulator | veriff
	vendor_data  TEXT    NOT NULL DEFAULT '',
	end_user_id  TEXT    NOT NULL DEFAULT '',
	first_name   TEXT    NOT NULL DEFAULT '',
	last_name    TEXT    NOT NULL DEFAULT '',
	url          TEXT    NOT NULL DEFAULT '',  -- where the end-user goes
	callback     TEXT    NOT NULL DEFAULT '',  -- where Veriff sends them back
	ref          TEXT    NOT NULL DEFAULT ''   -- kycwatch's reference in the callback URL
);
CREATE INDEX IF NOT EXISTS test_sessions_ref ON test_sessions(ref);
CREATE TABLE IF NOT EXISTS tracking (           -- VerifiMe phase 1, as polled
	session_id   TEXT    NOT NULL,
	at           INTEGER NOT NULL,           -- unix nanoseconds, UTC
	status       TEXT    NOT NULL,           -- Inactive | Active | Completed ('' when unreadable)
	raw          TEXT    NOT NULL DEFAULT '' -- the answer as it came
);
CREATE INDEX IF NOT EXISTS tracking_session ON tracking(session_id, at);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL); -- e.g. the sandbox's keys
CREATE TABLE IF NOT EXISTS invites (           -- simulated VerifiMe invites, so their pages answer across restarts
	owner        TEXT    NOT NULL,               -- which simulator: sandbox | tui
	ref          TEXT    NOT NULL,               -- tracking reference
	updated_at   INTEGER NOT NULL,
	state        TEXT    NOT NULL,               -- JSON: simulator.InviteSnapshot
	PRIMARY KEY (owner, ref)
);
CREATE TABLE IF NOT EXISTS sandbox_state (     -- the sandbox's sessions, so its API answers across restarts
	id           TEXT    PRIMARY KEY,
	updated_at   INTEGER NOT NULL,           -- unix nanoseconds, UTC
	state        TEXT    NOT NULL            -- the simulator's snapshot, JSON
);
CREATE TABLE IF NOT EXISTS forwards (            -- a delivery sent on to the user's app
	seq          INTEGER NOT NULL,           -- the delivery
	at           INTEGER NOT NULL,           -- unix nanoseconds, UTC
	target       TEXT    NOT NULL,           -- the URL it went to
	status       INTEGER NOT NULL DEFAULT 0, -- the app's answer (0: none)
	latency_ns   INTEGER NOT NULL DEFAULT 0,
	response     BLOB,                       -- the first bytes of the app's answer
	error        TEXT    NOT NULL DEFAULT '', -- why there was no answer
	replay       INTEGER NOT NULL DEFAULT 0  -- sent again by hand
);
CREATE INDEX IF NOT EXISTS forwards_seq ON forwards(seq, at);
`

// migrations add columns to tables created by earlier versions; "duplicate
// column" means it is done.
var migrations = []string{
	`ALTER TABLE test_sessions ADD COLUMN email TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE deliveries ADD COLUMN replay_of INTEGER NOT NULL DEFAULT 0`, // sent again from kycwatch
	`ALTER TABLE deliveries ADD COLUMN problem TEXT NOT NULL DEFAULT ''`,     // decode's account of a bad payload
	// An index by session made every delivery write one more page at
	// random (a quarter of the writer's time under a flood); only an export
	// of one session read it, and a pass over the table serves that.
	`DROP INDEX IF EXISTS deliveries_session`,
	// Search moved to a database of its own (search.go): indexing there
	// never holds the deliveries' write lock.
	`DROP TABLE IF EXISTS deliveries_fts`,
	`ALTER TABLE deliveries ADD COLUMN answered INTEGER NOT NULL DEFAULT 0`,  // what the provider got, when not status (--answer app)
	`ALTER TABLE forwards ADD COLUMN sent_as TEXT NOT NULL DEFAULT ''`,       // replay | edited | re-signed ('' as received)
	`ALTER TABLE forwards ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1`,     // tries while the app did not answer
	`ALTER TABLE forwards ADD COLUMN retry_in_ns INTEGER NOT NULL DEFAULT 0`, // wait before the next try (0: last)
	// Team mode: a follower stores what other instances received (origin),
	// once each (origin_ref), with its place in the stream. The index is
	// partial: a delivery received here writes nothing to it.
	`ALTER TABLE deliveries ADD COLUMN origin TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE deliveries ADD COLUMN origin_ref TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE deliveries ADD COLUMN stream_seq INTEGER NOT NULL DEFAULT 0`,
	`CREATE UNIQUE INDEX IF NOT EXISTS deliveries_origin_ref ON deliveries(origin_ref) WHERE origin_ref != ''`,
}

// DefaultPath is where the database lives unless --db says otherwise: the
// per-user data directory of the OS (XDG_DATA_HOME or ~/.local/share on
// Linux, Application Support on macOS, LocalAppData on Windows).
func DefaultPath() (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = os.Getenv("LocalAppData")
	case "darwin", "ios":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, "Library", "Application Support")
	default:
		dir = os.Getenv("XDG_DATA_HOME")
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			dir = filepath.Join(home, ".local", "share")
		}
	}
	if dir == "" {
		c, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		dir = c
	}
	return filepath.Join(dir, "kycwatch", "kycwatch.db"), nil
}

// Open opens (creating if needed) the database at path.
func Open(path string, opts ...Option) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, err
	}
	// One writer at a time is SQLite's rule; readers share the pool.
	db.SetMaxOpenConns(4)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	for _, m := range migrations {
		if _, err := db.Exec(m); err != nil && !strings.Contains(err.Error(), "duplicate column") {
			db.Close()
			return nil, fmt.Errorf("upgrade %s: %w", path, err)
		}
	}
	st := &Store{db: db, path: path, recent: newRecentRing(), writes: make(chan *pendingWrite, maxGroup), written: make(chan struct{}),
		indexWake: make(chan struct{}, 1), indexStop: make(chan struct{}), indexed: make(chan struct{}),
		checkpointWake: make(chan struct{}, 1), checkpointed: make(chan struct{})}
	for _, o := range opts {
		o(st)
	}
	if err := st.prepare(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	st.filterBuilt = make(chan struct{})
	var filterCtx context.Context
	filterCtx, st.stopFilter = context.WithCancel(context.Background())
	go func() { defer close(st.filterBuilt); st.buildBodyFilter(filterCtx) }()
	go st.writer()
	go st.indexer()
	go st.checkpointer()
	st.wakeIndexer() // deliveries stored before search existed, or before a kill
	return st, nil
}

// prepare reads where the store stands and prepares the writer's
// statements.
func (s *Store) prepare() error {
	var last, count int64
	if err := s.db.QueryRow(`SELECT coalesce(max(seq), 0), count(*) FROM deliveries`).Scan(&last, &count); err != nil {
		return err
	}
	s.last.Store(last)
	s.count.Store(count)
	if err := s.openSearch(); err != nil {
		return err
	}
	if err := s.openBodies(); err != nil {
		return err
	}
	var err error
	s.insStmt, err = s.db.Prepare(insSQL)
	return err
}

// dsn opens a database in WAL mode; writers queue on busy_timeout, and
// checkpoints run beside the writer (checkpointer), not inside its commits.
func dsn(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)" +
		"&_pragma=foreign_keys(1)&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(" + strconv.Itoa(walSizeLimit) + ")"
}

// walSizeLimit is the size the WAL file is cut back to after a checkpoint
// (it grows during a flood; see checkpointEvery).
const walSizeLimit = 64 << 20

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close finishes the writes in flight and the indexing, and closes the
// database. A delivery appended after Close gets ErrClosed.
func (s *Store) Close() error {
	var err error
	s.closing.Do(func() {
		s.closeMu.Lock()
		s.closed = true
		close(s.writes)
		s.closeMu.Unlock()
		<-s.written
		close(s.indexStop)
		<-s.indexed
		<-s.checkpointed
		s.stopFilter() // a store closed at once need not read every hash first
		<-s.filterBuilt
		s.insStmt.Close()
		s.bodyStmt.Close()
		s.search.Close()
		err = s.db.Close()
	})
	return err
}

const summaryCols = `seq, received_at, method, path, remote_addr, body_size, truncated, status, kind, provider,
	session_id, attempt_id, code, state, vendor_data, end_user_id, note, risk_level, signature, api_key, reason, sig_header, duplicate_of, replay_of, problem, answered,
	origin, stream_seq`

func scanSummary(sc interface{ Scan(...any) error }, r *Record, extra ...any) error {
	var at int64
	var kind, provider, sig, key, risk string
	d := &r.Delivery
	err := sc.Scan(append([]any{&r.Seq, &at, &r.Method, &r.Path, &r.RemoteAddr, &r.BodySize, &r.Truncated, &r.Status,
		&kind, &provider, &d.SessionID, &d.AttemptID, &d.Code, &d.State, &d.VendorData, &d.EndUserID,
		&d.Note, &risk, &sig, &key, &r.Verdict.Reason, &r.Verdict.Header, &r.DuplicateOf, &r.ReplayOf, &d.Problem, &r.Answered,
		&r.Origin, &r.StreamSeq}, extra...)...)
	r.ReceivedAt = time.Unix(0, at).UTC()
	d.Kind, d.Provider = decode.Kind(kind), decode.Provider(provider)
	if risk != "" || d.Kind == decode.KindRiskAssessment {
		d.Risk = &verifime.RiskAssessment{RiskLevel: risk} // a summary: the level only
	}
	r.Verdict.Signature, r.Verdict.APIKey = decode.Signature(sig), decode.APIKey(key)
	return err
}

func riskLevel(d decode.Delivery) string {
	if d.Risk != nil {
		return d.Risk.RiskLevel
	}
	return ""
}

// Recent returns the summaries (no headers, no body) of the last limit
// deliveries, oldest first, and how many deliveries the database holds.
func (s *Store) Recent(ctx context.Context, limit int) ([]Record, int, error) {
	total := int(s.Count())
	rows, err := s.db.QueryContext(ctx, `SELECT `+summaryCols+` FROM
		(SELECT * FROM deliveries ORDER BY seq DESC LIMIT ?) ORDER BY seq`, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		if err := scanSummary(rows, &r); err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// Before returns up to limit summaries older than seq, oldest first: the
// page the UI loads when scrolling past what it holds.
func (s *Store) Before(ctx context.Context, seq int64, limit int) ([]Record, error) {
	return queryAll(ctx, s.db, scanSummaryRow, `SELECT `+summaryCols+` FROM
		(SELECT * FROM deliveries WHERE seq < ? ORDER BY seq DESC LIMIT ?) ORDER BY seq`, seq, limit)
}

// Get returns one delivery whole: headers, body and the decoded payload.
func (s *Store) Get(ctx context.Context, seq int64) (Record, error) {
	var r Record
	var hdr string
	row := s.db.QueryRowContext(ctx, `SELECT `+summaryCols+`, headers, body FROM deliveries WHERE seq = ?`, seq)
	if err := scanSummary(row, &r, &hdr, &r.Body); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(hdr), &r.Header); err != nil {
		return r, fmt.Errorf("delivery %d headers: %w", seq, err)
	}
	// The typed payload is re-derived from the stored bytes: the bytes are
	// the record, the decoding a view of them. What was judged at arrival
	// (kind, provider, session) stays as stored.
	if !r.Truncated && r.Delivery.Kind != decode.KindCallback && r.Delivery.Kind != decode.KindAPICall {
		d := decode.Decode(r.Body)
		d.Provider = r.Delivery.Provider
		r.Delivery = d
	}
	return r, nil
}
