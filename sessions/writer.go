package sessions

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"runtime"
	"time"
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
	p := newPending(&r)
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

// newPending makes r's write: its headers as JSON (as json.Marshal writes
// them, which cannot fail on them) and its body's hash, on the caller's
// goroutine.
func newPending(r *Record) *pendingWrite {
	p := &pendingWrite{r: r, hdr: appendHeaderJSON(nil, r.Header), done: make(chan struct{})}
	if len(r.Body) > 0 && !r.Truncated {
		h := sha256.Sum256(r.Body)
		p.sum = h[:]
	}
	return p
}

// writer commits queued deliveries in groups until the queue is closed.
// When no delivery came for writerBusy, it writes the originals it holds
// to the bodies table (dups.go).
func (s *Store) writer() {
	defer close(s.written)
	defer s.flushBodiesLocked()
	group := make([]*pendingWrite, 0, maxGroup)
	idle := time.NewTimer(writerBusy)
	for {
		var p *pendingWrite
		var ok bool
		if !s.bodiesPending() {
			p, ok = <-s.writes
		} else {
			idle.Reset(writerBusy)
			select {
			case p, ok = <-s.writes:
			case <-idle.C:
				s.flushBodiesLocked()
				continue
			}
		}
		if !ok {
			return
		}
		group = append(group[:0], p)
		// Under load, give the deliveries being read and judged a moment to
		// join this group: a bigger group writes fewer pages per delivery.
		for try := 0; try < lingerTries && len(group) < maxGroup; try++ {
			n := len(group)
			group = s.gather(group)
			if try > 0 && len(group) == n {
				break
			}
			runtime.Gosched()
		}
		s.commitGroup(group)
	}
}

// bodiesPending says the writer holds originals not in the table yet.
func (s *Store) bodiesPending() bool {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return len(s.bodies.pending) > 0
}

// flushBodiesLocked is flushBodies under wmu.
func (s *Store) flushBodiesLocked() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.flushBodies(s.last.Load()); err != nil {
		slog.Warn("duplicate index", "err", err) // kept in memory, tried again when next idle
	}
}

// lingerTries bounds how often the writer yields for more deliveries
// before it commits a group.
var lingerTries = 3

// gather adds what is queued now to group, without waiting.
func (s *Store) gather(group []*pendingWrite) []*pendingWrite {
	for len(group) < maxGroup {
		select {
		case p, ok := <-s.writes:
			if !ok {
				return group
			}
			group = append(group, p)
		default:
			return group
		}
	}
	return group
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
	if len(s.bodies.pending) >= maxPendingBodies {
		if err := s.flushBodies(s.last.Load()); err != nil {
			slog.Warn("duplicate index", "err", err)
		}
	}
	var n, last int64
	for _, p := range group {
		if p.err == nil {
			n++
			last = max(last, p.r.Seq)
		}
	}
	s.recent.put(group)
	count := s.count.Add(n)
	s.lastCommit.Store(time.Now().UnixNano())
	if last > s.last.Load() {
		s.last.Store(last)
	}
	s.wmu.Unlock()
	if n > 0 {
		s.publish(Stored{Last: s.last.Load(), Count: count})
		s.wakeIndexer()
		if s.sinceCheckpoint.Add(n) >= checkpointEvery {
			select {
			case s.checkpointWake <- struct{}{}:
			default:
			}
		}
	}
	for _, p := range group {
		close(p.done)
	}
}

// insertGroup inserts the group in one transaction. Each duplicate lookup
// (originalOf) sees the originals inserted before it in the same group, so
// duplicate detection stays exact; they join the writer's memory only once
// the transaction has committed.
func (s *Store) insertGroup(group []*pendingWrite) (err error) {
	defer func() {
		if err != nil { // nothing of the group is stored: no seq may say otherwise
			for _, p := range group {
				p.r.Seq, p.r.DuplicateOf = 0, 0
			}
		}
	}()
	ctx := context.Background() // one caller leaving must not undo the others' rows
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins := tx.StmtContext(ctx, s.insStmt)
	lookup := tx.StmtContext(ctx, s.bodyStmt)
	var originals map[[32]byte]int64 // this group's, until it commits
	for _, p := range group {
		r := p.r
		d := r.Delivery
		dup, err := s.originalOf(lookup, p.sum, originals)
		if err != nil {
			return err
		}
		res, err := ins.ExecContext(ctx,
			r.ReceivedAt.UTC().UnixNano(), r.Method, r.Path, r.RemoteAddr, string(p.hdr), r.Body, r.BodySize, r.Truncated, p.sum,
			r.Status, string(d.Kind), string(d.Provider), d.SessionID, d.AttemptID, d.Code, d.State, d.VendorData, d.EndUserID,
			d.Note, riskLevel(d), string(r.Verdict.Signature), string(r.Verdict.APIKey), r.Verdict.Reason, r.Verdict.Header,
			r.ReplayOf, d.Problem, r.Answered, r.Origin, r.OriginRef, r.StreamSeq, dup)
		if err == nil {
			r.Seq, err = res.LastInsertId()
		}
		if err != nil {
			return err
		}
		r.DuplicateOf = dup
		if dup == 0 && len(p.sum) == 32 {
			if originals == nil {
				originals = map[[32]byte]int64{}
			}
			originals[[32]byte(p.sum)] = r.Seq
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, p := range group { // in seq order
		if p.r.DuplicateOf == 0 && len(p.sum) == 32 {
			s.bodies.add([32]byte(p.sum), p.r.Seq)
		}
	}
	return nil
}

// insSQL stores one delivery; ?9 is the body's SHA-256 (NULL for none),
// ?31 the original it duplicates (originalOf), or 0. Its seq is the
// connection's last rowid: a RETURNING clause would build a temporary
// table for every row (BenchmarkAppend: about 65 CPU-µs a delivery
// without, 80 with).
const insSQL = `INSERT INTO deliveries
		(received_at, method, path, remote_addr, headers, body, body_size, truncated, body_sha256,
		 status, kind, provider, session_id, attempt_id, code, state, vendor_data, end_user_id,
		 note, risk_level, signature, api_key, reason, sig_header, replay_of, problem, answered, origin, origin_ref, stream_seq, duplicate_of)
		VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30,?31)`

// The checkpointer copies the WAL back into the database beside the writer
// (PASSIVE: it never blocks the writer nor readers). Copying a page costs
// about as much as writing it, so during a flood it waits: it checkpoints
// as soon as the writer has been idle for writerBusy, or once the WAL holds
// checkpointEvery deliveries whatever the load, and once a minute for the
// other tables' writes. A page written many times in between is copied
// once. After a checkpoint the WAL file is cut back to walSizeLimit.
const checkpointEvery = 20_000

// checkpointPoll is how often the checkpointer looks whether the writer
// has gone idle.
const checkpointPoll = 100 * time.Millisecond

// checkpointer runs checkpoints until the writer and the indexer are done.
func (s *Store) checkpointer() {
	defer close(s.checkpointed)
	poll := time.NewTicker(checkpointPoll)
	defer poll.Stop()
	minute := time.NewTicker(time.Minute)
	defer minute.Stop()
	for {
		select {
		case <-s.checkpointWake: // the WAL is at its bound
		case <-minute.C:
		case <-poll.C:
			if s.sinceCheckpoint.Load() == 0 || time.Since(time.Unix(0, s.lastCommit.Load())) < writerBusy {
				continue
			}
		case <-s.indexed: // the writer and the indexer are done
			return
		}
		s.sinceCheckpoint.Store(0)
		if _, err := s.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			slog.Warn("checkpoint", "err", err)
		}
	}
}

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
