// Package team is kycwatch's team mode on NATS JetStream: an embedded NATS
// server (--share), the publisher that sends every stored delivery and
// every timeline event to the stream (--share, --nats), and the follower
// that stores what the stream carries into a local store (kycwatch
// follow), which the ordinary TUI and headless consumers then follow.
//
// The publisher is one more consumer of the store: it follows it by seq
// on a subscription of its own, publishes in batches, and moves on only
// once JetStream acknowledged them. Message ids are stable per stored row
// (origin/instance/seq), so a republish after a fault or a restart is
// dropped by JetStream's deduplication; a follower also refuses a row it
// already holds (the origin_ref column is unique).
package team

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kycwatch/kycwatch/sessions"
)

// Stream is the JetStream stream every instance publishes to.
const Stream = "KYCWATCH"

// subjects is what the stream holds: kycwatch.<origin>.<provider>.<kind>.
const subjects = "kycwatch.>"

// Layout names the message format and subjects. A stream whose metadata
// names another layout (or none) is refused, never mixed into.
const Layout = "kycwatch-team-1"

const layoutKey = "kycwatch_layout"

// Message types.
const (
	TypeDelivery    = "delivery"
	TypeTestSession = "test_session"
	TypeTracking    = "tracking"
	TypeForward     = "forward"
)

// Message is what goes on the stream, as JSON.
type Message struct {
	Layout   string `json:"layout"`
	Origin   string `json:"origin"`   // the instance's --name
	Instance string `json:"instance"` // its store's id, generated once
	Type     string `json:"type"`

	Delivery    *Delivery              `json:"delivery,omitempty"`
	TestSession *sessions.TestSession  `json:"test_session,omitempty"`
	Tracking    *sessions.TrackingStep `json:"tracking,omitempty"`
	Forward     *sessions.Forward      `json:"forward,omitempty"`
}

// Delivery is one stored delivery with the receiving instance's verdict.
type Delivery struct {
	Seq        int64               `json:"seq"`
	ReceivedAt time.Time           `json:"received_at"`
	Method     string              `json:"method"`
	Path       string              `json:"path"`
	RemoteAddr string              `json:"remote_addr"`
	Header     map[string][]string `json:"header"`
	Body       []byte              `json:"-"` // after the JSON (encode)
	BodySize   int64               `json:"body_size"`
	Truncated  bool                `json:"truncated"`
	ReplayOf   int64               `json:"replay_of"`
	Status     int                 `json:"status"`
	Answered   int                 `json:"answered"`
	sessions.Decoded
	VendorData  string `json:"vendor_data"`
	EndUserID   string `json:"end_user_id"`
	Note        string `json:"note"`
	Problem     string `json:"problem"`
	RiskLevel   string `json:"risk_level"`
	Signature   string `json:"signature"`
	APIKey      string `json:"api_key"`
	Reason      string `json:"reason"`
	SigHeader   string `json:"sig_header"`
	DuplicateOf int64  `json:"duplicate_of"`
}

// encode is the message on the wire: its JSON, and for a delivery a
// newline and the body's bytes as received (no base64: a third less to
// store and nothing to encode). Compact JSON holds no raw newline.
func (m *Message) encode() ([]byte, error) {
	js, err := json.Marshal(m)
	if err != nil || m.Delivery == nil {
		return js, err
	}
	out := make([]byte, 0, len(js)+1+len(m.Delivery.Body))
	out = append(append(append(out, js...), '\n'), m.Delivery.Body...)
	return out, nil
}

// decodeMessage reads what encode wrote.
func decodeMessage(data []byte) (*Message, error) {
	js, body, _ := bytes.Cut(data, []byte{'\n'})
	var m Message
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, err
	}
	if m.Delivery != nil && len(body) > 0 {
		m.Delivery.Body = body
	}
	return &m, nil
}

// ref is a row's reference across instances: origin/instance/seq. It is the
// JetStream message id and the follower's origin_ref.
func ref(origin, instance string, seq int64) string {
	return origin + "/" + instance + "/" + strconv.FormatInt(seq, 10)
}

// msgID is the message's deduplication id: stable for the same row or event.
func (m *Message) msgID() string {
	base := m.Origin + "/" + m.Instance
	switch m.Type {
	case TypeDelivery:
		return ref(m.Origin, m.Instance, m.Delivery.Seq)
	case TypeTestSession:
		return base + "/ts/" + m.TestSession.ID
	case TypeTracking:
		return base + "/tr/" + m.Tracking.SessionID + "/" + strconv.FormatInt(m.Tracking.At.UnixNano(), 10)
	case TypeForward:
		f := m.Forward
		h := sha256.Sum256([]byte(f.Target + "\x00" + string(f.SentAs)))
		return base + "/fw/" + strconv.FormatInt(f.Seq, 10) + "/" + strconv.FormatInt(f.At.UnixNano(), 10) + "/" +
			strconv.Itoa(f.Attempt) + "/" + hex.EncodeToString(h[:6])
	}
	return base + "/" + m.Type
}

// subject is kycwatch.<origin>.<provider>.<kind>, each token sanitised.
func (m *Message) subject() string {
	provider, kind := "", m.Type
	switch m.Type {
	case TypeDelivery:
		provider, kind = m.Delivery.Provider, m.Delivery.Kind
	case TypeTestSession:
		provider = string(m.TestSession.Provider())
	case TypeTracking:
		provider = "verifime"
	}
	return "kycwatch." + Token(m.Origin) + "." + Token(provider) + "." + Token(kind)
}

// Token makes s one subject token: letters, digits, - and _ kept, anything
// else (dots, wildcards, spaces, bytes beyond ASCII) as _; "none" for "".
func Token(s string) string {
	if s == "" {
		return "none"
	}
	b := []byte(s)
	if len(b) > 64 {
		b = b[:64]
	}
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// CleanText keeps a message that may quote the network (a NATS server's
// error, a stream's subjects) printable: control and format characters
// become ?, and it is cut at 500 bytes.
func CleanText(s string) string {
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r < 0x20 || r >= 0x7f && r <= 0x9f || r >= 0x200b && r <= 0x200f ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0xfeff || r == 0x061c {
			return '?'
		}
		return r
	}, s)
}

// CleanName keeps an origin name printable: at most 64 runes, no control
// or format characters (it comes from the network on a follower).
func CleanName(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 64 {
			break
		}
		if r == utf8.RuneError || r < 0x20 || r >= 0x7f && r <= 0x9f || r >= 0x200b && r <= 0x200f ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0xfeff || r == 0x061c {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// ErrLayout is a stream KYCWATCH made with another layout.
var ErrLayout = errors.New("another layout")

// streamConfig is the stream kycwatch creates.
func streamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{Name: Stream, Subjects: []string{subjects}, Storage: jetstream.FileStorage,
		Replicas: max(1, replicas), Duplicates: 2 * time.Minute, Metadata: map[string]string{layoutKey: Layout},
		Description: "kycwatch team mode: deliveries and timeline events, kycwatch.<origin>.<provider>.<kind>"}
}

// checkLayout refuses a stream that is not kycwatch's, or of another layout.
func checkLayout(cfg jetstream.StreamConfig) error {
	if got := cfg.Metadata[layoutKey]; got != Layout || !slices.Equal(cfg.Subjects, []string{subjects}) {
		if got == "" {
			got = "none"
		}
		return fmt.Errorf("stream %s exists with another layout (subjects %s, layout %s; this kycwatch writes %s with layout %s): "+
			"%w; use another NATS account or remove that stream, kycwatch will not mix into it",
			Stream, strings.Join(cfg.Subjects, ","), got, subjects, Layout, ErrLayout)
	}
	return nil
}

// ensureStream finds the stream, or creates it, and checks its layout.
func ensureStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, streamConfig(replicas))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another instance made it first
			s, err = js.Stream(ctx, Stream)
		}
	}
	if err != nil {
		return nil, err
	}
	return s, checkLayout(s.CachedInfo().Config)
}

// findStream finds the stream (a follower never creates it) and checks it.
func findStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, Stream)
	if err != nil {
		return nil, err
	}
	return s, checkLayout(s.CachedInfo().Config)
}

// fromRecord is the message for a stored delivery.
func fromRecord(r sessions.Record) *Delivery {
	d := r.Delivery
	risk := ""
	if d.Risk != nil {
		risk = d.Risk.RiskLevel
	}
	return &Delivery{Seq: r.Seq, ReceivedAt: r.ReceivedAt, Method: r.Method, Path: r.Path, RemoteAddr: r.RemoteAddr,
		Header: r.Header, Body: r.Body, BodySize: r.BodySize, Truncated: r.Truncated, ReplayOf: r.ReplayOf,
		Status: r.Status, Answered: r.Answered, Decoded: sessions.DecodedOf(d), VendorData: d.VendorData, EndUserID: d.EndUserID,
		Note: d.Note, Problem: d.Problem, RiskLevel: risk, Signature: string(r.Verdict.Signature), APIKey: string(r.Verdict.APIKey),
		Reason: r.Verdict.Reason, SigHeader: r.Verdict.Header, DuplicateOf: r.DuplicateOf}
}
