// Team mode's flags (--share, --nats, kycwatch follow).

package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/team"
)

const followUsage = `kycwatch follow: watch a team's deliveries from NATS JetStream.

Usage:
  kycwatch follow nats://TOKEN@HOST:PORT[,URL…] [--name N] [--headless]
  kycwatch follow URL[,URL…] --since 1h|SEQ [--headless]

The TUI (or, with --headless, the NDJSON lines plus origin and stream_seq)
of every delivery every sharing or publishing kycwatch stored, in stream
order, with the verdict of the instance that received it. With --name the
follower resumes where it stopped (a durable consumer; its database is
follow-NAME.db beside the default one); without, it reads the stream from
the start, or from --since, into a database of its own run. A follower is
read-only: decisions belong to the instance that created the session;
replay (R) sends to its own local listener, checked with its own --secret.

Flags:
`

// teamFlags checks the team mode's flags: one clear line for a mistake.
func teamFlags(fs *flag.FlagSet, c *config, natsURLs string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["name"] && strings.TrimSpace(c.name) == "" {
		return fmt.Errorf("--name is empty: give this instance a name (or leave the flag out for host:port)")
	}
	c.name = strings.TrimSpace(c.name)
	if natsURLs != "" {
		for _, u := range strings.Split(natsURLs, ",") {
			c.natsURLs = append(c.natsURLs, strings.TrimSpace(u))
		}
	} else if set["nats"] {
		return fmt.Errorf("--nats is empty: give the NATS URL (nats://TOKEN@host:4222), or leave the flag out")
	}
	if len(c.follow) > 0 {
		if c.share || len(c.natsURLs) > 0 {
			return fmt.Errorf("follow reads the stream: --share and --nats are for the instances that receive deliveries")
		}
		if c.since != "" && c.name != "" {
			return fmt.Errorf("--since is for a follower without --name (a durable one resumes where it stopped)")
		}
		if c.since != "" {
			if _, err := team.ParseSince(c.since, time.Now()); err != nil {
				return err
			}
		}
		if !set["addr"] {
			c.addr = "127.0.0.1:0" // its own listener, for replays: any free port
		}
		c.noTunnel = true
		if err := checkNATSURLs("follow", c.follow); err != nil {
			return err
		}
	} else {
		if c.share && len(c.natsURLs) > 0 {
			return fmt.Errorf("--share runs an embedded NATS server and --nats publishes to an existing one: pick one")
		}
		if err := checkNATSURLs("--nats", c.natsURLs); err != nil {
			return err
		}
		if set["nats-listen"] && !c.share {
			return fmt.Errorf("--nats-listen is for --share")
		}
		if _, _, err := net.SplitHostPort(c.natsListen); err != nil || checkAddr(c.natsListen) != nil {
			return fmt.Errorf("--nats-listen %q: want host:port, e.g. 127.0.0.1:4222", c.natsListen)
		}
		if set["name"] && !c.share && len(c.natsURLs) == 0 {
			return fmt.Errorf("--name names this instance in team mode: use it with --share or --nats")
		}
	}
	if set["nats-creds"] {
		if len(c.natsURLs) == 0 && len(c.follow) == 0 {
			return fmt.Errorf("--nats-creds is for --nats or kycwatch follow")
		}
		if _, err := os.Stat(c.natsCreds); err != nil {
			return fmt.Errorf("--nats-creds %q: %v", c.natsCreds, errors.Unwrap(err))
		}
	}
	if set["nats-replicas"] {
		switch {
		case len(c.natsURLs) == 0:
			return fmt.Errorf("--nats-replicas is for --nats (a cluster); --share runs one server")
		case c.natsReplicas < 1 || c.natsReplicas > 5:
			return fmt.Errorf("--nats-replicas %d: want 1 to 5 (JetStream's range)", c.natsReplicas)
		}
	}
	return nil
}

// checkNATSURLs refuses a URL NATS could not dial, without printing a token.
func checkNATSURLs(what string, urls []string) error {
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || !slices.Contains([]string{"nats", "tls", "ws", "wss"}, u.Scheme) {
			return fmt.Errorf("%s %s: want nats://[TOKEN@]host:port or tls://host:port", what, team.Redact(s))
		}
	}
	return nil
}
