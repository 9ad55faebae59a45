package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"golang.ngrok.com/ngrok/v2"

	"github.com/kycwatch/kycwatch/internal/display"
)

// Ngrok is the real tunnel: an ngrok agent and one HTTPS endpoint.
type Ngrok struct {
	Authtoken string
	Domain    string       // reserved or static domain; "" asks for a random one
	Logger    *slog.Logger // ngrok's own logs; never the terminal
	Version   string       // reported to ngrok as the client version
}

// Open diagnoses the way to ngrok (so that no network fails at once rather
// than after the timeout), connects the agent and opens the endpoint.
func (n Ngrok) Open(ctx context.Context, changes func(TunnelStatus)) (Endpoint, error) {
	o := &opening{n: n, ctx: ctx, changes: changes, logger: slog.New(redact(n.Logger.Handler(), n.Authtoken))}

	// The agent's session lives on its own context: the ctx given here only
	// bounds the opening, and cancelling the session's context closes it.
	sessCtx, cancelSess := context.WithCancel(context.WithoutCancel(ctx))
	o.cancelSess = cancelSess
	o.stopBound = context.AfterFunc(ctx, cancelSess)

	agent, err := ngrok.NewAgent(
		ngrok.WithAuthtoken(n.Authtoken),
		ngrok.WithLogger(o.logger),
		ngrok.WithEventHandler(o.event),
		ngrok.WithClientInfo("kycwatch", n.Version),
		ngrok.WithAgentDescription("kycwatch webhook inspector"),
	)
	o.agent = agent
	if err != nil {
		return o.fail("connect", err)
	}
	if stage, err := o.diagnose(); err != nil {
		return o.fail(stage, err)
	}
	if err := agent.Connect(sessCtx); err != nil {
		return o.fail("connect", err)
	}
	o.mu.Lock()
	o.connected = true
	o.mu.Unlock()

	ep, err := o.listen()
	if err != nil {
		return o.fail("listen", err)
	}
	if !o.stopBound() { // the opening ran out of time just as it succeeded
		ep.Close()
		return o.fail("listen", ctx.Err())
	}
	o.mu.Lock()
	o.publicURL = ep.URL().String()
	o.mu.Unlock()
	return &ngrokEndpoint{EndpointListener: ep, agent: agent, cancel: cancelSess}, nil
}

// opening is one Ngrok.Open: the agent's state as its events tell it, and
// what a failure undoes.
type opening struct {
	n          Ngrok
	ctx        context.Context // bounds the opening
	changes    func(TunnelStatus)
	logger     *slog.Logger
	agent      ngrok.Agent
	cancelSess context.CancelFunc // closes the agent's session
	stopBound  func() bool        // unties the session from ctx

	mu        sync.Mutex
	connected bool
	lastErr   error  // the latest failure while connecting
	publicURL string // set once the endpoint is open
}

// event hears the agent: a failure while connecting is kept for fail (and
// one with an ngrok error code ends the retries); once the endpoint is
// open, a lost or regained connection is a change of the tunnel's status.
func (o *opening) event(e ngrok.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch e := e.(type) {
	case *ngrok.EventAgentDisconnected:
		if e.Error == nil {
			return
		}
		if !o.connected {
			o.lastErr = e.Error
			// ngrok retries even a refused authtoken: an answer with an
			// ngrok error code will not change, so stop now.
			if code, _ := ngrokCode(e.Error); code != "" {
				o.cancelSess()
			}
			return
		}
		if o.publicURL != "" {
			o.changes(TunnelStatus{State: TunnelReconnecting, URL: o.publicURL,
				Reason: "ngrok connection lost: " + scrub(firstLine(e.Error.Error()), o.n.Authtoken),
				Hint:   "reconnecting; the local listener still answers"})
		}
	case *ngrok.EventAgentConnectSucceeded:
		if o.connected && o.publicURL != "" {
			o.changes(TunnelStatus{State: TunnelOnline, URL: o.publicURL})
		}
	}
}

// diagnose tries the way to ngrok and names the stage that failed: "tcp",
// "tls" or "muxado".
func (o *opening) diagnose() (stage string, err error) {
	d, ok := o.agent.(ngrok.Diagnoser)
	if !ok {
		return "", nil
	}
	_, err = d.Diagnose(o.ctx, "")
	switch {
	case err == nil:
		return "", nil
	case ngrok.IsTCPDiagnoseFailure(err):
		return "tcp", err
	case ngrok.IsTLSDiagnoseFailure(err):
		return "tls", err
	case ngrok.IsMuxadoDiagnoseFailure(err):
		return "muxado", err
	}
	// A failure after the handshake (e.g. the server-info call) is not
	// worth refusing to try: connecting will tell.
	o.logger.Debug("ngrok diagnose", "err", err)
	return "", nil
}

// listen opens the endpoint on the connected agent. Listening is one
// request on the open session, but it does not watch ctx: wait for it
// here, bounded (an endpoint that opens too late is closed).
func (o *opening) listen() (ngrok.EndpointListener, error) {
	opts := []ngrok.EndpointOption{ngrok.WithDescription("kycwatch")}
	if o.n.Domain != "" {
		opts = append(opts, ngrok.WithURL(domainURL(o.n.Domain)))
	}
	type result struct {
		ep  ngrok.EndpointListener
		err error
	}
	done := make(chan result, 1)
	go func() {
		ep, err := o.agent.Listen(o.ctx, opts...)
		done <- result{ep, err}
	}()
	select {
	case r := <-done:
		return r.ep, r.err
	case <-o.ctx.Done():
		go func() {
			if r := <-done; r.ep != nil {
				r.ep.Close()
			}
		}()
		return nil, o.ctx.Err()
	}
}

// fail undoes the opening and explains why it failed: the cause the agent
// reported rather than "context canceled", and a timeout as such.
func (o *opening) fail(stage string, err error) (Endpoint, error) {
	o.stopBound()
	o.cancelSess()
	if o.agent != nil {
		o.agent.Disconnect()
	}
	o.mu.Lock()
	seen := o.lastErr
	o.mu.Unlock()
	ctx := o.ctx
	if seen != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || stage == "connect") {
		err = seen // the cause, not "context canceled"
	}
	if ctx.Err() != nil && seen == nil {
		err = ctx.Err()
	}
	te := explainNgrok(stage, err, o.n.Domain, o.n.Authtoken)
	if seen != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		te.Reason = "no public URL: ngrok did not connect in time: " + strings.TrimPrefix(te.Reason, "no public URL: ")
	}
	return nil, te
}

// domainURL accepts "name.ngrok.app" or a full "https://name.ngrok.app".
func domainURL(d string) string {
	if strings.Contains(d, "://") {
		return d
	}
	return "https://" + d
}

type ngrokEndpoint struct {
	ngrok.EndpointListener
	agent  ngrok.Agent
	cancel context.CancelFunc
	once   sync.Once
}

func (e *ngrokEndpoint) URL() *url.URL { return e.EndpointListener.URL() }

// Close closes the endpoint and disconnects the agent.
func (e *ngrokEndpoint) Close() error {
	var err error
	e.once.Do(func() {
		err = e.EndpointListener.Close()
		e.agent.Disconnect()
		e.cancel()
	})
	return err
}

// ngrokCode finds ngrok's error code and message inside err, if any.
func ngrokCode(err error) (code, msg string) {
	var coded interface {
		ErrorCode() string
		Msg() string
	}
	if errors.As(err, &coded) {
		return coded.ErrorCode(), coded.Msg()
	}
	var v2 ngrok.Error
	if errors.As(err, &v2) {
		return v2.Code(), v2.Error()
	}
	return "", ""
}

const tokenPage = "dashboard.ngrok.com/get-started/your-authtoken"

// explainNgrok says, in a line, why ngrok gave no public URL and what to do.
// stage is where it failed: tcp, tls, muxado (the diagnosis), connect or
// listen. The authtoken is scrubbed from anything shown.
func explainNgrok(stage string, err error, domain, token string) *TunnelError {
	te := &TunnelError{Err: err}
	detail := ""
	if err != nil {
		detail = scrub(firstLine(err.Error()), token)
	}
	code, msg := ngrokCode(err)
	if msg != "" {
		detail = scrub(firstUseful(msg), token)
	}
	withCode := func(s string) string {
		if code != "" {
			return s + " (" + code + ")"
		}
		return s
	}
	switch {
	case stage == "tcp":
		te.Reason = "no public URL: cannot reach ngrok (" + shorten(detail) + ")"
		te.Hint = "check the network, DNS or proxy; the local listener works meanwhile"
	case stage == "tls":
		te.Reason = "no public URL: TLS to ngrok failed (" + shorten(detail) + ")"
		te.Hint = "a proxy or firewall may be inspecting TLS; the local listener works meanwhile"
	case stage == "muxado":
		te.Reason = "no public URL: ngrok's server did not speak the tunnel protocol"
		te.Hint = "a proxy may be in the way; the local listener works meanwhile"
	case code == "ERR_NGROK_105" || code == "ERR_NGROK_106" || code == "ERR_NGROK_107":
		te.Reason = withCode("no public URL: ngrok rejected the authtoken")
		te.Hint = "copy it again from " + tokenPage + " into NGROK_AUTHTOKEN"
	case code == "ERR_NGROK_4018":
		te.Reason = withCode("no public URL: ngrok needs an authtoken")
		te.Hint = "set NGROK_AUTHTOKEN (free at " + tokenPage + ")"
	case code == "ERR_NGROK_108":
		te.Reason = withCode("no public URL: your ngrok account has another agent session running")
		te.Hint = "stop the other ngrok agent, or use --no-tunnel"
	case code == "ERR_NGROK_334":
		te.Reason = withCode("no public URL: " + domainOr(domain, "that endpoint") + " is already online from another agent")
		te.Hint = "stop the other agent, or pick another --domain"
	case stage == "listen" && domain != "":
		te.Reason = withCode("no public URL: ngrok refused the domain " + domain + ": " + shorten(detail))
		te.Hint = "reserve it at dashboard.ngrok.com/domains, or drop --domain for a random URL"
	case code != "":
		te.Reason = withCode("no public URL: ngrok said: " + shorten(detail))
		te.Hint = "see ngrok.com/docs/errors; the local listener works meanwhile"
	case errors.Is(err, context.DeadlineExceeded):
		te.Reason = "no public URL: ngrok did not answer in time"
		te.Hint = "check the network, or wait longer with --tunnel-timeout"
	default:
		te.Reason = "no public URL: " + shorten(detail)
		te.Hint = "the local listener works meanwhile"
	}
	return te
}

func domainOr(d, or string) string {
	if d != "" {
		return d
	}
	return or
}

// firstUseful is the first line of an ngrok message that is not the token
// echoed back or a bare URL.
func firstUseful(msg string) string {
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(strings.ToLower(l), "your authtoken") || strings.HasPrefix(l, "http") {
			continue
		}
		return l
	}
	return firstLine(msg)
}

// shorten keeps the end of a long wrapped error: Go's net errors nest
// ("failed to dial …: dial tcp: lookup host: no such host").
func shorten(s string) string {
	if i := strings.Index(s, "dial tcp: "); i >= 0 {
		s = s[i+len("dial tcp: "):]
	}
	if on := strings.Index(s, " on "); on >= 0 && strings.HasPrefix(s, "lookup ") {
		if colon := strings.Index(s[on:], ": "); colon >= 0 {
			s = s[:on] + s[on+colon:] // drop the resolver address
		}
	}
	const max = 120
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

// scrub removes the authtoken from text: ngrok echoes it back in errors.
func scrub(s, token string) string {
	if len(token) < 4 {
		return s
	}
	return strings.ReplaceAll(s, token, display.Mask(token))
}

// redact wraps a log handler so that the token never reaches the log file.
func redact(h slog.Handler, token string) slog.Handler {
	return redactHandler{h, token}
}

type redactHandler struct {
	slog.Handler
	token string
}

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, scrub(rec.Message, r.token), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return r.Handler.Handle(ctx, out)
}

func (r redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, scrub(v.String(), r.token))
	case slog.KindGroup:
		attrs := v.Group()
		out := make([]any, len(attrs))
		for i, g := range attrs {
			out[i] = r.attr(g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		return slog.String(a.Key, scrub(fmt.Sprint(v.Any()), r.token))
	}
	return a
}

func (r redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = r.attr(a)
	}
	return redactHandler{r.Handler.WithAttrs(clean), r.token}
}

func (r redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{r.Handler.WithGroup(name), r.token}
}
