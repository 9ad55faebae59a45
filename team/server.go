package team

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is the embedded NATS server of --share: JetStream on, its store
// beside the database (so a restart on the same database keeps the
// stream), clients admitted with one token.
type Server struct {
	ns    *server.Server
	token string
	Addr  string // host:port it listens on
	Dir   string // JetStream's store
}

// StoreDir is where --share keeps the stream for a database: beside it,
// the database's name without its extension, plus .nats.
func StoreDir(db string) string {
	return strings.TrimSuffix(db, filepath.Ext(db)) + ".nats"
}

// NewToken is a token for the embedded server (kept in the database).
func NewToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// StartServer starts the embedded server on listen (host:port; port 0 for
// any free one) with JetStream storing under dir.
func StartServer(listen, dir, token string) (*Server, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("--nats-listen %q: want host:port", listen)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("--nats-listen %q: want host:port", listen)
	}
	if p == 0 {
		p = server.RANDOM_PORT
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("NATS store %s: %w", dir, err)
	}
	// A port taken is said plainly (the server itself would only log it).
	if p != server.RANDOM_PORT {
		l, err := net.Listen("tcp", listen)
		if err != nil {
			return nil, fmt.Errorf("--share: cannot listen on %s: %v (is another kycwatch sharing? pick another with --nats-listen)", listen, err)
		}
		l.Close()
	}
	opts := &server.Options{ServerName: "kycwatch", Host: host, Port: p, Authorization: token, JetStream: true,
		StoreDir: dir, NoLog: true, NoSigs: true, MaxPayload: 8 << 20}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("--share: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("--share: the NATS server on %s did not start (store %s)", listen, dir)
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		return nil, fmt.Errorf("--share: JetStream did not start (store %s)", dir)
	}
	addr := ns.Addr().String()
	return &Server{ns: ns, token: token, Addr: addr, Dir: dir}, nil
}

// Dial connects in-process.
func (s *Server) Dial(name string) Dial { return Dial{InProcess: s.ns, Token: s.token, Name: name} }

// URL is the server's address for teammates, with the token: the join
// line is the one place the token is printed whole, because it is what
// teammates must paste. A server listening on every interface is named by
// this machine's host name.
func (s *Server) URL() string {
	host, port, _ := net.SplitHostPort(s.Addr)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return "nats://" + s.token + "@" + net.JoinHostPort(host, port)
}

// JoinLine is the command to give teammates.
func (s *Server) JoinLine() string { return "kycwatch follow " + s.URL() }

// Shutdown stops the server and waits for it.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
