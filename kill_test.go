package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/sessions"
)

// TestKillNineLosesNothingAcknowledged floods the built binary from eight
// connections, kills it with SIGKILL mid-flood, and finds every delivery it
// had answered 200 stored, byte for byte: an answer is given only after the
// transaction holding the delivery committed.
func TestKillNineLosesNothingAcknowledged(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	r := startHeadless(t, cleanEnv(t), "--no-tunnel", "--db", db, "--secret", "kill-secret")
	go func() {
		for range r.lines { // stdout read, as a pipe to another program would be
		}
	}()
	type ack struct {
		seq int64
		sum [32]byte
	}
	var mu sync.Mutex
	var acked []ack
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for i := 0; ; i++ {
				body := []byte(fmt.Sprintf(`{"id":"kill-%d-%d","attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"w%d","endUserId":null}`, w, i, w))
				req, _ := http.NewRequest("POST", r.url+"/veriff/events", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-HMAC-SIGNATURE", decode.Sign("kill-secret", body))
				resp, err := client.Do(req)
				if err != nil {
					return // killed
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var a struct{ Seq int64 }
				if resp.StatusCode != http.StatusOK || json.Unmarshal(answer, &a) != nil || a.Seq == 0 {
					continue // not acknowledged (or cut by the kill): nothing promised
				}
				mu.Lock()
				acked = append(acked, ack{a.Seq, sha256.Sum256(body)})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r.cmd.Wait()
	wg.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d deliveries acknowledged before the kill: too few to tell", len(acked))
	}
	st, err := sessions.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, a := range acked {
		rec, err := st.Get(context.Background(), a.seq)
		if err != nil {
			t.Fatalf("#%d was acknowledged and is not stored: %v", a.seq, err)
		}
		if sha256.Sum256(rec.Body) != a.sum {
			t.Fatalf("#%d is stored with other bytes", a.seq)
		}
	}
	t.Logf("%d acknowledged before SIGKILL, all stored (%d in the database)", len(acked), st.Count())
}
