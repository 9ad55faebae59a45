// Package listener is kycwatch's HTTP side: it accepts webhook deliveries on
// any net.Listener it is given (the local address, and later the tunnel),
// enforces limits, and hands each request to sessions.Receiver before it
// answers.
package listener

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kycwatch/kycwatch/forward"
	"github.com/kycwatch/kycwatch/sessions"
)

// Paths are the webhook URLs kycwatch suggests for the Veriff Customer
// Portal fields. Any POST path is a delivery; these only make the timeline
// tell where each one was sent.
var Paths = []struct{ Path, Field string }{
	{"/veriff/events", "Webhook events URL"},
	{"/veriff/decisions", "Webhook decisions URL"},
	{"/veriff/statuses", "Webhook URL for sessions statuses set in Station"},
	{"/veriff/watchlist", "Webhook watchlist screening URL"},
}

// Limits bound what one client can make kycwatch hold.
type Limits struct {
	MaxBody           int64         // larger bodies are refused with 413
	KeepTruncated     int64         // how much of a refused body is stored
	MaxHeaderBytes    int           // request line and headers
	ReadHeaderTimeout time.Duration // a silent client is dropped after this
	ReadTimeout       time.Duration // whole request, body included
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration // keep-alive connections between requests
}

// DefaultLimits suit webhooks: small bodies that arrive at once.
var DefaultLimits = Limits{
	MaxBody:           10 << 20,
	KeepTruncated:     64 << 10,
	MaxHeaderBytes:    64 << 10,
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      30 * time.Second,
	IdleTimeout:       60 * time.Second,
}

// Server serves kycwatch's handler on one or more listeners.
type Server struct {
	rc     *sessions.Receiver
	limits Limits
	log    *slog.Logger
	now    func() time.Time
	srv    *http.Server
	mounts []mount

	fwd         *forward.Forwarder
	transparent bool // answer the provider with the app's answer
}

// Forward sends every delivery on with f. With transparent, the provider
// gets the first target's answer (like ngrok), and waits for it; else it
// gets kycwatch's verdict at once and the app gets the delivery after.
func (s *Server) Forward(f *forward.Forwarder, transparent bool) {
	s.fwd, s.transparent = f, transparent
}

// mount is a handler that answers under a path prefix instead of the
// webhook handler (the sandbox API and its end-user page).
type mount struct {
	prefix string
	h      http.Handler
}

// Mount serves h for every path under prefix. Call it before serving.
func (s *Server) Mount(prefix string, h http.Handler) {
	s.mounts = append(s.mounts, mount{prefix, http.MaxBytesHandler(h, s.limits.MaxBody)})
}

// New returns a server that hands deliveries to rc. logger may be nil.
func New(rc *sessions.Receiver, limits Limits, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{rc: rc, limits: limits, log: logger, now: time.Now}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		MaxHeaderBytes:    limits.MaxHeaderBytes,
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		ReadTimeout:       limits.ReadTimeout,
		WriteTimeout:      limits.WriteTimeout,
		IdleTimeout:       limits.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	return s
}

// Serve serves on l until Shutdown; call it once per listener (local and
// tunnel), each in its own goroutine.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Handler is kycwatch's HTTP handler: POST is a delivery, GET and HEAD the
// info page, anything else 405.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range s.mounts {
			if strings.HasPrefix(r.URL.Path, m.prefix) {
				m.h.ServeHTTP(w, r)
				return
			}
		}
		switch r.Method {
		case http.MethodPost:
			s.deliver(w, r)
		case http.MethodGet, http.MethodHead:
			if r.Method == http.MethodGet && r.URL.Path == sessions.CallbackPath {
				s.returned(w, r)
				return
			}
			info(w, r)
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			http.Error(w, "kycwatch accepts POST (webhook deliveries) and GET (this page)", http.StatusMethodNotAllowed)
		}
	})
}

func info(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if id := instanceOf(r); id != "" {
		w.Header().Set(InstanceHeader, id)
	}
	var b strings.Builder
	b.WriteString("kycwatch is listening.\n\nPOST webhook deliveries to any path here. Suggested paths, one per Veriff Customer Portal field:\n\n")
	for _, p := range Paths {
		fmt.Fprintf(&b, "  %-20s %s\n", p.Path, p.Field)
	}
	b.WriteString("\nEvery delivery is stored and shown live in kycwatch.\n")
	if r.Method == http.MethodGet {
		io.WriteString(w, b.String())
	}
}

type answer struct {
	Status string `json:"status"`
	Seq    int64  `json:"seq,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (s *Server) deliver(w http.ResponseWriter, r *http.Request) {
	in := sessions.Incoming{
		ReceivedAt: s.now(),
		Method:     r.Method,
		Path:       r.URL.RequestURI(),
		RemoteAddr: r.RemoteAddr,
		Header:     receivedHeader(r),
	}
	in.Body, in.BodySize, in.Truncated = s.readBody(r)
	if n, err := strconv.ParseInt(r.Header.Get("X-Kycwatch-Replay"), 10, 64); err == nil && n > 0 {
		in.ReplayOf = n // informational: anyone can claim it, the bytes are judged as usual
	}
	if in.Truncated {
		// The rest of the body stays unread: close rather than drain it.
		w.Header().Set("Connection", "close")
	}
	if s.fwd != nil && s.transparent && len(s.fwd.Targets) > 0 && !in.Truncated {
		s.deliverThroughApp(w, r, in)
		return
	}
	rec, err := s.rc.Receive(r.Context(), in)
	if err != nil {
		s.log.Error("store delivery", "err", err, "path", in.Path)
		writeJSON(w, http.StatusInternalServerError, answer{Status: "error", Error: "kycwatch could not store the delivery; retry"})
		return
	}
	if s.fwd != nil {
		s.fwd.Enqueue(rec)
	}
	a := answer{Status: "accepted", Seq: rec.Seq}
	if rec.Status != http.StatusOK {
		a.Status = "rejected"
		a.Error = rejection(rec)
	}
	s.log.Info("delivery", "seq", rec.Seq, "status", rec.Status, "kind", rec.Delivery.Kind, "signature", rec.Verdict.Signature)
	writeJSON(w, rec.Status, a)
}

// deliverThroughApp answers the provider with the app's answer (--answer
// app): the app is asked first, then the delivery is stored with what the
// provider is about to get beside kycwatch's verdict, then answered. The
// other targets get it afterwards, as usual.
func (s *Server) deliverThroughApp(w http.ResponseWriter, r *http.Request, in sessions.Incoming) {
	rec := s.rc.Judge(in)
	fw := s.fwd.Ask(r.Context(), rec)
	rec.Answered = fw.Status
	if fw.Error != "" {
		rec.Answered = http.StatusBadGateway
	}
	rec, err := s.rc.Keep(r.Context(), rec)
	if err != nil {
		s.log.Error("store delivery", "err", err, "path", in.Path)
		writeJSON(w, http.StatusInternalServerError, answer{Status: "error", Error: "kycwatch could not store the delivery; retry"})
		return
	}
	fw.Seq = rec.Seq
	s.fwd.Recorded(r.Context(), fw)
	s.fwd.EnqueueRest(rec)
	if fw.Error != "" {
		writeJSON(w, http.StatusBadGateway, answer{Status: "error", Seq: rec.Seq, Error: "the app did not answer: " + fw.Error})
		return
	}
	w.WriteHeader(fw.Status)
	w.Write(fw.Response)
}

// returned records the end-user coming back through the callback URL of a
// session kycwatch created, and thanks them.
func (s *Server) returned(w http.ResponseWriter, r *http.Request) {
	in := sessions.Incoming{ReceivedAt: s.now(), Method: r.Method, Path: r.URL.RequestURI(), RemoteAddr: r.RemoteAddr,
		Header: receivedHeader(r)}
	if _, err := s.rc.Returned(r.Context(), in, r.URL.Query().Get("ref")); err != nil {
		s.log.Error("store callback", "err", err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "Thank you: the verification flow is finished on your side.\n\n"+
		"kycwatch recorded your return. The decision arrives separately, by webhook.\n")
}

// rejection says why, in kycwatch's own words (never echoing the payload).
func rejection(rec sessions.Record) string {
	switch rec.Status {
	case http.StatusRequestEntityTooLarge:
		return "body too large"
	case http.StatusBadRequest:
		return "body is empty or not JSON"
	case http.StatusUnauthorized:
		switch {
		case rec.Verdict.Signature == "missing":
			return "signature missing"
		case rec.Verdict.Signature == "invalid":
			return "signature invalid"
		default:
			return "API key (X-AUTH-CLIENT) missing or wrong"
		}
	}
	return ""
}

// preallocBody is the largest declared body read into a buffer made
// before its bytes arrive.
const preallocBody = 64 << 10

// readBody reads at most MaxBody bytes. A larger body (declared or sent)
// is cut to its first KeepTruncated bytes; it is never held whole.
func (s *Server) readBody(r *http.Request) (body []byte, size int64, truncated bool) {
	max, keep := s.limits.MaxBody, s.limits.KeepTruncated
	if r.ContentLength > max {
		b, _ := io.ReadAll(io.LimitReader(r.Body, keep))
		return b, r.ContentLength, true
	}
	if r.ContentLength > 0 && r.ContentLength <= preallocBody {
		// The usual case: a small body of declared length (net/http never
		// reads past it) is read into one buffer of its size. A larger one
		// grows as its bytes arrive: a declared size alone reserves nothing.
		b := make([]byte, r.ContentLength)
		n, err := io.ReadFull(r.Body, b)
		if err != nil {
			// A client that stopped sending (timeout, reset): keep what came.
			s.log.Warn("body read", "err", err, "got", n)
		}
		return b[:n], int64(n), false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if int64(len(b)) > max {
		// No length was declared: the size is known only to be over the
		// limit (MaxBody+1), and the rest is never read.
		n := int64(len(b))
		return append([]byte(nil), b[:min(keep, n)]...), n, true
	}
	if err != nil {
		// A client that stopped sending (timeout, reset): keep what came.
		s.log.Warn("body read", "err", err, "got", len(b))
	}
	return b, int64(len(b)), false
}

// receivedHeader is the request's header as received: net/http moves Host
// and Transfer-Encoding out of the map, so they are put back.
func receivedHeader(r *http.Request) map[string][]string {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if r.Host != "" {
		h["Host"] = []string{r.Host}
	}
	if len(r.TransferEncoding) > 0 {
		h["Transfer-Encoding"] = append([]string(nil), r.TransferEncoding...)
	}
	return h
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Listen listens on addr. When the port is taken it listens on a free port
// of the same host instead and says so in note.
func Listen(addr string) (l net.Listener, note string, err error) {
	l, err = net.Listen("tcp", addr)
	if err == nil {
		return withInstance(l), "", nil
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil, "", err
	}
	host, port, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		return nil, "", err
	}
	l, err2 := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err2 != nil {
		return nil, "", err
	}
	return withInstance(l), fmt.Sprintf("port %s is taken; listening on %s instead", port, l.Addr()), nil
}

// InstanceHeader carries, on the info page (GET /), the id of the
// kycwatch whose local listener answered: kycwatch send compares it with
// the one the running kycwatch recorded in its database, so that it never
// posts into another kycwatch that took the port since.
const InstanceHeader = "X-Kycwatch-Instance"

// instances are the ids of the local listeners Listen opened, by port
// (one kycwatch per port; tests run several in one process).
var (
	instancesMu sync.Mutex
	instances   = map[string]string{}
)

// instanceListener is a local listener with an id of its own, forgotten
// when it closes.
type instanceListener struct {
	net.Listener
	port, id string
	once     sync.Once
}

func withInstance(l net.Listener) net.Listener {
	_, port, _ := net.SplitHostPort(l.Addr().String())
	il := &instanceListener{Listener: l, port: port, id: sessions.NewUUID()}
	instancesMu.Lock()
	instances[port] = il.id
	instancesMu.Unlock()
	return il
}

func (l *instanceListener) Close() error {
	l.once.Do(func() {
		instancesMu.Lock()
		if instances[l.port] == l.id {
			delete(instances, l.port)
		}
		instancesMu.Unlock()
	})
	return l.Listener.Close()
}

// Instance is the id of the local listener l (from Listen), "" for another.
func Instance(l net.Listener) string {
	if il, ok := l.(*instanceListener); ok {
		return il.id
	}
	return ""
}

// InstanceAt is the id of the local listener Listen opened at url's port
// ("" when there is none).
func InstanceAt(url string) string {
	u, err := neturl.Parse(url)
	if err != nil {
		return ""
	}
	instancesMu.Lock()
	defer instancesMu.Unlock()
	return instances[u.Port()]
}

// instanceOf is the id of the local listener a request came through ("" for
// the tunnel).
func instanceOf(r *http.Request) string {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return ""
	}
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	instancesMu.Lock()
	defer instancesMu.Unlock()
	return instances[port]
}

// URL is the http:// URL of a local listener.
func URL(l net.Listener) string {
	addr := l.Addr().String()
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "::" || host == "0.0.0.0" || host == "") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return "http://" + addr
}
