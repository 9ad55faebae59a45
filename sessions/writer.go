package sessions

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
)

// Deliveries are written by one writer, in groups: what arrives while a
// transaction commits goes into the next one together (group commit). A
// caller of Append is answered only once the transaction holding its
// delivery has committed, so an acknowledged delivery is on disk (WAL,
// synchronous=NORMAL: it survives kycwatch being killed).

// maxGroup bounds one transaction: a flood still commits every few
// milliseconds, and each caller waits for one group at most.
const maxGroup = 512

// ErrClosed is returned for a delivery that arrives while the store closes.
var ErrClosed = errors.New("the store is closed")

// pendingWrite is one delivery waiting for its group's commit.
type pendingWrite struct {
	r    *Record
	hdr  []byte // the headers as JSON, made by the caller
	sum  []byte // the body's SHA-256 (nil for none or truncated)
	err  error
	done chan struct{}
}

// Stored is the event the store publishes after each commit of deliveries:
// every delivery up to seq Last is stored, and Count are held in all.
// Consumers read what they have not seen from the store.
type Stored struct {
	Last  int64
	Count int64
}

// Supersedes makes a newer Stored replace a queued older one: a consumer
// reads up to the newest mark anyway.
func (Stored) Supersedes(earlier any) bool { _, ok := earlier.(Stored); return ok }

// Publisher takes the events a service publishes (the app's bus).
type Publisher interface{ Publish(any) }

// Append stores r and returns it with its Seq and DuplicateOf. It returns
// once the transaction holding r has committed. The work that needs no
// lock (the headers' JSON, the body's hash) is done here, on the caller's
// goroutine.
func (s *Store) Append(ctx context.Context, r Record) (Record, error) {
	hdr, err := json.Marshal(r.Header)
	if err != nil {
		return r, err
	}
	p := &pendingWrite{r: &r, hdr: hdr, done: make(chan struct{})}
	if len(r.Body) > 0 && !r.Truncated {
		h := sha256.Sum256(r.Body)
		p.sum = h[:]
	}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return r, ErrClosed
	}
	s.writes <- p
	s.closeMu.RUnlock()
	// Wait for the commit even when ctx ends: the answer must say whether
	// the delivery is stored, and a commit takes milliseconds.
	<-p.done
	return r, p.err
}

// writer commits queued deliveries in groups until the queue is closed.
func (s *Store) writer() {
	defer close(s.written)
	group := make([]*pendingWrite, 0, maxGroup)
	for p := range s.writes {
		group = append(group[:0], p)
	gather:
		for len(group) < maxGroup {
			select {
			case p, ok := <-s.writes:
				if !ok {
					break gather
				}
				group = append(group, p)
			default:
				break gather
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup writes one group in one transaction. When that fails, each
// delivery is tried alone, so one bad row cannot refuse the others.
func (s *Store) commitGroup(group []*pendingWrite) {
	s.wmu.Lock()
	err := s.insertGroup(group)
	if err != nil && len(group) > 1 {
		for _, p := range group {
			p.err = s.insertGroup([]*pendingWrite{p})
		}
	} else {
		for _, p := range group {
			p.err = err
		}
	}
	var n, last int64
	for _, p := range group {
		if p.err == nil {
			n++
			last = max(last, p.r.Seq)
		}
	}
	count := s.count.Add(n)
	if last > s.last.Load() {
		s.last.Store(last)
	}
	s.wmu.Unlock()
	if n > 0 {
		s.publish(Stored{Last: s.last.Load(), Count: count})
		s.wakeIndexer()
	}
	for _, p := range group {
		close(p.done)
	}
}

// insertGroup inserts the group in one transaction. The duplicate lookup
// runs inside it, so it sees the rows inserted before it in the same group:
// duplicate detection stays exact.
func (s *Store) insertGroup(group []*pendingWrite) error {
	ctx := context.Background() // one caller leaving must not undo the others' rows
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	dup, ins := tx.StmtContext(ctx, s.dupStmt), tx.StmtContext(ctx, s.insStmt)
	for _, p := range group {
		r := p.r
		r.Seq, r.DuplicateOf = 0, 0
		if p.sum != nil {
			if err := dup.QueryRowContext(ctx, p.sum).Scan(&r.DuplicateOf); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		d := r.Delivery
		res, err := ins.ExecContext(ctx,
			r.ReceivedAt.UTC().UnixNano(), r.Method, r.Path, r.RemoteAddr, string(p.hdr), r.Body, r.BodySize, r.Truncated, p.sum,
			r.Status, string(d.Kind), string(d.Provider), d.SessionID, d.AttemptID, d.Code, d.State, d.VendorData, d.EndUserID,
			d.Note, riskLevel(d), string(r.Verdict.Signature), string(r.Verdict.APIKey), r.Verdict.Reason, r.Verdict.Header,
			r.DuplicateOf, r.ReplayOf, d.Problem)
		if err != nil {
			return err
		}
		if r.Seq, err = res.LastInsertId(); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		for _, p := range group {
			p.r.Seq, p.r.DuplicateOf = 0, 0
		}
		return err
	}
	return nil
}

const (
	dupSQL = `SELECT seq FROM deliveries WHERE body_sha256 = ? AND duplicate_of = 0 ORDER BY seq LIMIT 1`
	insSQL = `INSERT INTO deliveries
		(received_at, method, path, remote_addr, headers, body, body_size, truncated, body_sha256,
		 status, kind, provider, session_id, attempt_id, code, state, vendor_data, end_user_id,
		 note, risk_level, signature, api_key, reason, sig_header, duplicate_of, replay_of, problem)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
)

// publish hands an event to the app's bus, if there is one.
func (s *Store) publish(e any) {
	if s.events != nil {
		s.events.Publish(e)
	}
}

// Last is the newest stored delivery's seq (0 when none).
func (s *Store) Last() int64 { return s.last.Load() }

// Count is how many deliveries the store holds.
func (s *Store) Count() int64 { return s.count.Load() }
