// kycwatch export: stored deliveries as NDJSON, HAR or curl.

package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/export"
	"github.com/kycwatch/kycwatch/sessions"
)

const exportUsage = `kycwatch export: write stored deliveries to stdout.

Usage:
  kycwatch export [--format ndjson|har|curl] [--db PATH] [--session ID]
                  [--since T] [--mask-pii]

  ndjson  headless mode's lines, plus each delivery's headers and body
  har     HAR 1.2, for browser devtools and HTTP clients
  curl    a shell script that sends each request again, byte for byte:
          TARGET=http://localhost:3000 sh deliveries.sh (default: where
          the kycwatch on the database listens)

--since takes a time (2026-11-23T09:00:00Z, 2026-11-23) or a duration back
from now (1h, 30m).

Flags:
`

func exportCmd(args []string, stdout, stderr io.Writer) int {
	fs := commandFlags("kycwatch export", exportUsage, stderr)
	format := fs.String("format", "ndjson", "`format`: ndjson, har or curl")
	db := fs.String("db", "", "database `path` (default $KYCWATCH_DB, else the user data directory)")
	session := fs.String("session", "", "only this session `id`, or its start as the UI shows it (f04bdb47)")
	since := fs.String("since", "", "only deliveries received since `T` (a time, or a duration such as 1h)")
	mask := fs.Bool("mask-pii", false, "hide names, dates of birth, document numbers, addresses and IPs in bodies")
	if code, ok := parseCommand(fs, args, "kycwatch export", "", stderr); !ok {
		return code
	}
	if err := refuseEmptyInput(fs, map[string]string{"db": "KYCWATCH_DB", "session": ""}, "KYCWATCH_DB"); err != nil {
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 2
	}
	filter := sessions.Filter{}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "kycwatch export:", err)
			return 2
		}
		filter.Since = t
	}
	store, path, code, ok := openCommandDB("kycwatch export", *db, false, stderr)
	if !ok {
		return code
	}
	defer store.Close()
	if *session != "" {
		// The UI shows a session's first 8 characters: take any unique prefix.
		ids, err := sessionsWithPrefix(context.Background(), path, *session)
		switch {
		case err != nil:
			fmt.Fprintln(stderr, "kycwatch export:", err)
			return 1
		case len(ids) == 0:
			fmt.Fprintf(stderr, "kycwatch export: no session %q in %s (--session takes an id or its start)\n", *session, path)
			return 1
		case len(ids) > 1:
			fmt.Fprintf(stderr, "kycwatch export: --session %q matches several sessions: %s (give more of the id)\n", *session, strings.Join(ids, ", "))
			return 2
		}
		filter.SessionID = ids[0]
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	// A curl script goes by default to the kycwatch of this database, as send does.
	w, err := export.New(*format, out, *mask, export.WithTarget(store.Setting(context.Background(), settingLocalURL)))
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 2
	}
	n := 0
	if err := store.Each(context.Background(), filter, func(r sessions.Record) error { n++; return w.Add(r) }); err != nil {
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 1
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 1
	}
	what := "deliveries"
	if n == 1 {
		what = "delivery"
	}
	fmt.Fprintf(stderr, "kycwatch export: %d %s (%s)\n", n, what, *format)
	return 0
}

// sessionsWithPrefix lists the sessions with deliveries in the database
// at path whose id is id or starts with it (at most 10, then "…").
func sessionsWithPrefix(ctx context.Context, path, id string) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var exact int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE session_id = ? LIMIT 1)`, id).Scan(&exact); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if exact > 0 {
		return []string{id}, nil
	}
	// Text compares bytewise: every id starting with id sorts in [id, id+U+10FFFF).
	ids, err := sessions.QueryColumn[string](ctx, db, `SELECT DISTINCT session_id FROM deliveries WHERE session_id >= ? AND session_id < ? ORDER BY session_id LIMIT 11`,
		id, id+"\U0010FFFF")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(ids) > 10 {
		ids = append(ids[:10], "…")
	}
	return ids, nil
}

// parseSince reads a time or a duration back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since %q: want a duration back from now, such as 1h (not negative)", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a time (2026-11-23T09:00:00Z) or a duration (1h)", s)
}
