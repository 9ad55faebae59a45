// The forwards table: every try to send a delivery on to the user's app.

package sessions

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/decode"
)

// Forward is a delivery sent on to the user's app, and what the app said.
type Forward struct {
	Seq      int64
	At       time.Time
	Target   string
	Status   int // 0 when there was no answer
	Latency  time.Duration
	Response []byte // the first bytes of the answer
	Error    string // why there was no answer
	SentAs   SentAs // "" for the delivery as received; else sent again by hand
	Attempt  int    // 1 for the first try; more while the app did not answer
	// RetryIn is the wait before the next try (0: this was the last one).
	RetryIn time.Duration
}

// SentAs says what a forward carried.
type SentAs string

const (
	SentDelivery SentAs = ""          // the delivery as received
	SentReplay   SentAs = "replay"    // sent again as stored
	SentEdited   SentAs = "edited"    // edited, with its original signature (which no longer matches)
	SentResigned SentAs = "re-signed" // edited and signed again over the new bytes
)

// Label is how the UI names it.
func (s SentAs) Label() string {
	switch s {
	case SentReplay:
		return "replay"
	case SentEdited:
		return "edited replay, original signature"
	case SentResigned:
		return "edited replay, re-signed"
	}
	return "as received"
}

// OK reports whether the app answered 2xx.
func (f Forward) OK() bool { return f.Error == "" && f.Status >= 200 && f.Status <= 299 }

// AddForward records a forward's outcome.
func (s *Store) AddForward(ctx context.Context, f Forward) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT INTO forwards (seq, at, target, status, latency_ns, response, error, replay, sent_as, attempt, retry_in_ns)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		f.Seq, f.At.UnixNano(), f.Target, f.Status, int64(f.Latency), f.Response, f.Error, f.SentAs != SentDelivery, string(f.SentAs), f.Attempt, int64(f.RetryIn))
	return err
}

// PendingForwards are the forwards whose last try, per delivery and
// target, was to be followed by another (RetryIn): a run ended first.
func (s *Store) PendingForwards(ctx context.Context) ([]Forward, error) {
	return queryAll(ctx, s.db, func(rows *sql.Rows) (Forward, error) {
		var f Forward
		err := rows.Scan(&f.Seq, &f.Target, &f.Attempt)
		return f, err
	}, `SELECT f.seq, f.target, f.attempt FROM forwards f
		WHERE f.retry_in_ns > 0 AND NOT EXISTS (SELECT 1 FROM forwards g
			WHERE g.seq = f.seq AND g.target = f.target AND (g.at > f.at OR g.at = f.at AND g.rowid > f.rowid))
		ORDER BY f.seq`)
}

// WebhooksAfter returns the seqs of the webhook deliveries of session
// stored after seq (not the sandbox's API calls nor callbacks: what a
// forwarder sends), oldest first.
func (s *Store) WebhooksAfter(ctx context.Context, session string, seq int64) ([]int64, error) {
	return QueryColumn[int64](ctx, s.db, `SELECT seq FROM deliveries WHERE seq > ? AND session_id = ? AND kind NOT IN (?, ?) ORDER BY seq`,
		seq, session, string(decode.KindAPICall), string(decode.KindCallback))
}

// Forwards returns the forwards of the given deliveries, oldest first.
func (s *Store) Forwards(ctx context.Context, seqs ...int64) ([]Forward, error) {
	var out []Forward
	for len(seqs) > 0 {
		n := min(len(seqs), 500)
		args := make([]any, n)
		marks := make([]string, n)
		for i := range n {
			args[i], marks[i] = seqs[i], "?"
		}
		seqs = seqs[n:]
		rows, err := s.db.QueryContext(ctx, `SELECT seq, at, target, status, latency_ns, response, error, replay, sent_as, attempt, retry_in_ns FROM forwards WHERE seq IN (`+
			strings.Join(marks, ",")+`) ORDER BY at`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var f Forward
			var at, lat, retry int64
			var replay bool
			var sentAs string
			if err := rows.Scan(&f.Seq, &at, &f.Target, &f.Status, &lat, &f.Response, &f.Error, &replay, &sentAs, &f.Attempt, &retry); err != nil {
				rows.Close()
				return nil, err
			}
			f.At, f.Latency, f.RetryIn, f.SentAs = time.Unix(0, at).UTC(), time.Duration(lat), time.Duration(retry), SentAs(sentAs)
			if replay && f.SentAs == SentDelivery { // recorded before sent_as existed
				f.SentAs = SentReplay
			}
			out = append(out, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
