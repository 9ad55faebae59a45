// Package export writes stored deliveries out: NDJSON (headless mode's
// lines plus headers and body), HAR 1.2 (for browser tools and HTTP
// clients), and a shell script of curl commands that reproduce each
// request byte for byte against a target URL.
package export

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

// Formats are the names --format takes.
var Formats = []string{"ndjson", "har", "curl"}

// Writer writes one format; call Add for each record, then Close.
type Writer interface {
	Add(sessions.Record) error
	Close() error
}

// Option tunes a writer.
type Option func(*options)

type options struct {
	target string
	known  bool // the target is the kycwatch that stored the deliveries
}

// DefaultTarget is where a curl script sends its requests when neither
// TARGET nor WithTarget says otherwise.
const DefaultTarget = "http://127.0.0.1:8080"

// WithTarget makes url (the address of the kycwatch that stored the
// deliveries) a curl script's default TARGET.
func WithTarget(url string) Option {
	return func(o *options) {
		if url != "" {
			o.target, o.known = strings.TrimRight(url, "/"), true
		}
	}
}

// New returns a writer of format to w. With mask, personal data in bodies
// is hidden (the signatures then no longer match, and the export says so).
func New(format string, w io.Writer, mask bool, opts ...Option) (Writer, error) {
	o := options{target: DefaultTarget}
	for _, opt := range opts {
		opt(&o)
	}
	switch format {
	case "ndjson":
		return &ndjson{w: w, mask: mask}, nil
	case "har":
		return &har{w: w, mask: mask}, nil
	case "curl":
		return &curl{w: w, mask: mask, target: o.target, known: o.known}, nil
	}
	return nil, fmt.Errorf("unknown format %q (ndjson, har, curl)", format)
}

func body(r sessions.Record, mask bool) []byte {
	if mask {
		return decode.MaskPII(r.Body)
	}
	return r.Body
}

// sortedHeaders lists a record's headers in a stable order.
func sortedHeaders(h map[string][]string) [][2]string {
	var out [][2]string
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, [2]string{k, v})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// --- NDJSON ---

type ndjson struct {
	w    io.Writer
	mask bool
}

type line struct {
	sessions.Line
	Headers    map[string][]string `json:"headers"`
	Body       *string             `json:"body,omitempty"`        // when it is UTF-8 text
	BodyBase64 string              `json:"body_base64,omitempty"` // when it is not
	ReplayOf   int64               `json:"replay_of,omitempty"`
	Masked     bool                `json:"masked,omitempty"`
}

func (n *ndjson) Add(r sessions.Record) error {
	l := line{Line: r.Line(), Headers: r.Header, ReplayOf: r.ReplayOf, Masked: n.mask}
	if n.mask {
		l.Note = decode.MaskText(l.Note) // decode's summary names the person
	}
	b := body(r, n.mask)
	if utf8.Valid(b) {
		s := string(b)
		l.Body = &s
	} else {
		l.BodyBase64 = base64.StdEncoding.EncodeToString(b)
	}
	enc := json.NewEncoder(n.w)
	enc.SetEscapeHTML(false)
	return enc.Encode(l)
}

func (n *ndjson) Close() error { return nil }

// --- HAR 1.2 ---

type har struct {
	w       io.Writer
	mask    bool
	entries []harEntry
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harEntry struct {
	StartedDateTime string         `json:"startedDateTime"`
	Time            int            `json:"time"`
	Request         harRequest     `json:"request"`
	Response        harResponse    `json:"response"`
	Cache           struct{}       `json:"cache"`
	Timings         map[string]int `json:"timings"`
	Comment         string         `json:"comment,omitempty"`
}

type harRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	harMessage
	QueryString []harNV  `json:"queryString"`
	PostData    *harPost `json:"postData,omitempty"`
	HeadersSize int      `json:"headersSize"`
	BodySize    int64    `json:"bodySize"`
}

type harPost struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding,omitempty"` // base64 (a HAR extension browsers read) when not text
}

// harMessage is what a HAR request and response both begin with; the
// headers are as received, sorted by name (a response's: none kept).
type harMessage struct {
	HTTPVersion string  `json:"httpVersion"`
	Cookies     []harNV `json:"cookies"`
	Headers     []harNV `json:"headers"`
}

func newHARMessage(header map[string][]string) harMessage {
	m := harMessage{HTTPVersion: "HTTP/1.1", Cookies: []harNV{}, Headers: []harNV{}}
	for _, kv := range sortedHeaders(header) {
		m.Headers = append(m.Headers, harNV{kv[0], kv[1]})
	}
	return m
}

type harResponse struct {
	Status     int    `json:"status"`
	StatusText string `json:"statusText"`
	harMessage
	Content struct {
		Size     int    `json:"size"`
		MimeType string `json:"mimeType"`
	} `json:"content"`
	RedirectURL string `json:"redirectURL"`
	HeadersSize int    `json:"headersSize"`
	BodySize    int    `json:"bodySize"`
}

func (h *har) Add(r sessions.Record) error {
	host := http.Header(r.Header).Get("Host")
	if host == "" {
		host = "kycwatch.local"
	}
	e := harEntry{StartedDateTime: r.ReceivedAt.UTC().Format(time.RFC3339Nano), Timings: map[string]int{"send": 0, "wait": 0, "receive": 0}}
	e.Request = harRequest{Method: r.Method, URL: "http://" + host + r.Path, harMessage: newHARMessage(r.Header),
		QueryString: []harNV{}, HeadersSize: -1, BodySize: r.BodySize}
	if b := body(r, h.mask); len(b) > 0 {
		mime := http.Header(r.Header).Get("Content-Type")
		if mime == "" {
			mime = "application/json"
		}
		p := &harPost{MimeType: mime, Text: string(b)}
		if !utf8.Valid(b) {
			p.Text, p.Encoding = base64.StdEncoding.EncodeToString(b), "base64"
		}
		e.Request.PostData = p
	}
	e.Response = harResponse{Status: r.ProviderStatus(), StatusText: http.StatusText(r.ProviderStatus()), harMessage: newHARMessage(nil),
		HeadersSize: -1, BodySize: -1}
	e.Response.Content.MimeType = "application/json"
	e.Comment = fmt.Sprintf("kycwatch #%d: %s %s, signature %s, API key %s", r.Seq, r.Delivery.Kind, r.Delivery.State,
		r.Verdict.Signature, r.Verdict.APIKey)
	if r.Answered != 0 { // --answer app: the response is the app's
		e.Comment += fmt.Sprintf("; answered by the app, kycwatch's verdict %d", r.Status)
	}
	h.entries = append(h.entries, e)
	return nil
}

func (h *har) Close() error {
	doc := map[string]any{"log": map[string]any{
		"version": "1.2", "creator": map[string]string{"name": "kycwatch", "version": "1"},
		"entries": append([]harEntry{}, h.entries...),
	}}
	enc := json.NewEncoder(h.w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// --- curl script ---

type curl struct {
	w      io.Writer
	mask   bool
	header bool
	target string // the default TARGET
	known  bool   // target is the kycwatch that stored the deliveries
}

// quote makes s one single-quoted shell word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// skipped are headers curl must compute itself for the bytes it sends.
var skipped = map[string]bool{"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true}

func (c *curl) Add(r sessions.Record) error {
	if !c.header {
		c.header = true
		whose := "kycwatch's default address"
		if c.known {
			whose = "where the kycwatch that stored them listens"
		}
		fmt.Fprintf(c.w, "#!/bin/sh\n# Deliveries exported by kycwatch, each reproduced byte for byte with curl.\n"+
			"# Run: TARGET=https://your-app.example sh this-file.sh   (default: %s, %s)\n"+
			"set -e\n[ -n \"${TARGET:-}\" ] || TARGET=%s\n", display.Safe(c.target), whose, quote(c.target))
		if c.mask {
			fmt.Fprint(c.w, "# Personal data was masked: the signatures no longer match these bodies.\n")
		}
	}
	if r.Truncated {
		_, err := fmt.Fprintf(c.w, "\n# #%d skipped: its body was over the size limit and only its first bytes were kept\n", r.Seq)
		return err
	}
	var b strings.Builder
	what := strings.TrimSpace(string(r.Delivery.Kind) + " " + display.Safe(r.Delivery.State))
	if what != "" {
		what += ", "
	}
	fmt.Fprintf(&b, "\n# #%d %s %s %s (%ssignature %s)\n", r.Seq, r.ReceivedAt.UTC().Format(time.RFC3339), r.Method,
		display.Safe(r.Path), what, r.Verdict.Signature)
	// A request that came with no body (a GET) goes again with none: no
	// --data-binary, so curl adds no Content-Length or form Content-Type.
	hasBody := len(r.Body) > 0 || len(http.Header(r.Header).Values("Content-Length")) > 0 || len(http.Header(r.Header).Values("Transfer-Encoding")) > 0
	if hasBody {
		fmt.Fprintf(&b, "printf %%s %s | base64 -d | ", quote(base64.StdEncoding.EncodeToString(body(r, c.mask))))
	}
	fmt.Fprintf(&b, "curl -sS -o /dev/null -w '#%d %%{http_code}\\n' -X %s \"$TARGET\"%s \\\n", r.Seq, quote(r.Method), quote(r.Path))
	if hasBody && len(http.Header(r.Header).Values("Content-Type")) == 0 {
		b.WriteString("  -H 'Content-Type:' \\\n") // none came: curl must not add its form type
	}
	for _, kv := range sortedHeaders(r.Header) {
		if skipped[http.CanonicalHeaderKey(kv[0])] {
			continue
		}
		h := kv[0] + ": " + kv[1]
		if kv[1] == "" {
			h = kv[0] + ";" // curl's way to send an empty header
		}
		fmt.Fprintf(&b, "  -H %s \\\n", quote(h))
	}
	if hasBody {
		b.WriteString("  --data-binary @-\n")
	} else {
		b.WriteString("  --globoff\n") // ends the command (and takes the path as it is)
	}
	_, err := io.WriteString(c.w, b.String())
	return err
}

func (c *curl) Close() error {
	if !c.header {
		_, err := fmt.Fprint(c.w, "#!/bin/sh\n# kycwatch export: no deliveries matched.\n")
		return err
	}
	return nil
}
