package team

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Dial says how to reach NATS.
type Dial struct {
	URLs  []string // nats://[TOKEN@]host:port or tls://…; the token rides in the URL
	Creds string   // a NATS credentials file (--nats-creds), or ""
	Name  string   // the connection's name, as NATS monitoring shows it
	// InProcess connects to the embedded server without a socket (--share).
	InProcess nats.InProcessConnProvider
	Token     string // with InProcess
}

// ErrRefused is NATS refusing the credentials: a fault to report and exit
// on, not to retry.
var ErrRefused = errors.New("NATS refused the connection")

// Where is the URLs with any token or password hidden, for messages.
func (d Dial) Where() string {
	if d.InProcess != nil {
		return "the embedded NATS server"
	}
	out := make([]string, len(d.URLs))
	for i, u := range d.URLs {
		out[i] = Redact(u)
	}
	return strings.Join(out, ",")
}

// Redact hides a URL's user information (the token).
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(a NATS URL kycwatch cannot read)"
	}
	if u.User != nil {
		u.User = url.User("***")
	}
	return strings.Replace(u.String(), "%2A%2A%2A", "***", 1)
}

// firstAttempt is a publisher's or a follower's first connect: a refusal
// or a stream of another layout is returned (kycwatch exits on those);
// anything else goes to trouble, and their Run keeps trying.
func firstAttempt(ctx context.Context, connect func(context.Context) error, trouble func(error)) error {
	err := connect(ctx)
	if fatal(err) {
		return err
	}
	if err != nil {
		trouble(err)
	}
	return nil
}

// fatal: NATS refused the credentials, or the stream has another layout;
// trying again would not help.
func fatal(err error) bool { return errors.Is(err, ErrRefused) || errors.Is(err, ErrLayout) }

// outcome is what a publisher's or a follower's Run does after an attempt
// to connect.
type outcome int

const (
	connected outcome = iota // go on
	retry                    // the backoff waited: try again
	stop                     // return: ctx ended
)

// attempt is one connect in a publisher's or a follower's Run: a fatal
// failure goes to said, and Run stops once ctx ends (it does not end on its
// own); any other goes to trouble, and the backoff waits.
func (b *backoff) attempt(ctx context.Context, connect func(context.Context) error, trouble, said func(error)) outcome {
	err := connect(ctx)
	switch {
	case err == nil:
		return connected
	case fatal(err):
		said(err)
		<-ctx.Done()
		return stop
	}
	trouble(err)
	if !b.wait(ctx) {
		return stop
	}
	return retry
}

// connect makes one attempt. Once connected, nats.go reconnects by itself
// for as long as the process runs.
func (d Dial) connect(onState func(up bool)) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(d.Name), nats.Timeout(3 * time.Second), nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond), nats.ReconnectJitter(200*time.Millisecond, time.Second),
		nats.PingInterval(5 * time.Second), nats.MaxPingsOutstanding(2)}
	if onState != nil {
		opts = append(opts, nats.DisconnectErrHandler(func(*nats.Conn, error) { onState(false) }),
			nats.ReconnectHandler(func(*nats.Conn) { onState(true) }))
	}
	if d.Creds != "" {
		opts = append(opts, nats.UserCredentials(d.Creds))
	}
	servers := strings.Join(d.URLs, ",")
	if d.InProcess != nil {
		opts = append(opts, nats.InProcessServer(d.InProcess), nats.Token(d.Token))
		servers = ""
	}
	nc, err := nats.Connect(servers, opts...)
	if err != nil {
		if refused(err) {
			return nil, fmt.Errorf("%w at %s: %v (check the token in the URL, or --nats-creds)", ErrRefused, d.Where(), err)
		}
		return nil, fmt.Errorf("NATS at %s is unreachable: %v", d.Where(), err)
	}
	return nc, nil
}

// jetStream makes one attempt (connect) and opens JetStream on the
// connection; when that fails, the connection is closed.
func (d Dial) jetStream(opts ...jetstream.JetStreamOpt) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := d.connect(nil)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc, opts...)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("NATS at %s: %v", d.Where(), err)
	}
	return nc, js, nil
}

// refused reports whether err is NATS turning the credentials down.
func refused(err error) bool {
	if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked) {
		return true
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "authorization violation") || strings.Contains(s, "authentication")
}

// backoff is the wait between attempts: doubling from half a second to 15 s.
type backoff struct{ next time.Duration }

func (b *backoff) wait(ctx context.Context) bool {
	if b.next == 0 {
		b.next = 500 * time.Millisecond
	}
	t := time.NewTimer(b.next)
	defer t.Stop()
	b.next = min(2*b.next, 15*time.Second)
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (b *backoff) reset() { b.next = 0 }
