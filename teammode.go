package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/lab"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/team"
	"github.com/kycwatch/kycwatch/ui"
)

// Team mode's parts of the app: the embedded server (--share), the
// publisher (--share, --nats) and the follower (kycwatch follow). The
// publisher and the follower are consumers like the others: built with
// the app, running once it serves.

// settingToken is the embedded server's token, generated once.
const settingToken = "team.token"

type teamParts struct {
	server    *team.Server
	publisher *team.Publisher
	follower  *team.Follower
	where     string // the NATS URLs, token hidden
	origin    string // the name deliveries are published under
	lines     []string
	started   bool // Run was called: wait for it
	built     bool // notices go to the bus from now on
	early     []string
}

// buildTeam builds team mode's parts, if any is asked for. A refused token
// or a stream of another layout is returned (kycwatch exits 1); NATS
// unreachable is said, and retried in the background.
func (a *app) buildTeam(ctx context.Context) error {
	c := a.c
	if !c.share && len(c.natsURLs) == 0 && len(c.follow) == 0 {
		return nil
	}
	t := &teamParts{}
	a.team = t
	// What the first attempt says is shown with the start-up lines; later
	// notices go to the bus (stderr, or the TUI's footer).
	say := func(s string) {
		s = team.CleanText(s) // it may quote the NATS server
		if t.built {
			a.events.Publish(problem("team: " + s))
		} else {
			t.early = append(t.early, s)
		}
	}
	defer func() { t.built = true }()
	teamLog := a.fileLog.With("component", "team")
	if len(c.follow) > 0 {
		since, _ := team.ParseSince(c.since, time.Now()) // checked with the flags
		d := team.Dial{URLs: c.follow, Creds: c.natsCreds, Name: "kycwatch follow " + c.name}
		t.where = d.Where()
		t.follower = team.NewFollower(team.FollowerConfig{Store: a.store, Dial: d, Name: c.name, Since: since, Events: a.events,
			Log: teamLog, Say: say})
		how := "from the start of the stream, into a database of this run's"
		switch {
		case c.name != "":
			how = "as " + c.name + " (durable: resumes where it stopped)"
		case c.since != "":
			how = "from " + c.since
		}
		t.lines = []string{fmt.Sprintf("following %s %s", t.where, how),
			"read-only: decisions belong to the instance that created the session; replays go to this kycwatch's own listener"}
		return cleanErr(t.follower.Connect(ctx))
	}
	origin := c.name
	if origin == "" {
		host, _ := os.Hostname()
		_, port, _ := net.SplitHostPort(a.ln.Addr().String())
		origin = host + ":" + port
	}
	d := team.Dial{URLs: c.natsURLs, Creds: c.natsCreds, Name: "kycwatch " + origin}
	replicas := c.natsReplicas
	if c.share {
		token := a.store.Setting(ctx, settingToken)
		if token == "" {
			token = team.NewToken()
			if err := a.store.SetSetting(ctx, settingToken, token); err != nil {
				return err
			}
		}
		srv, err := team.StartServer(c.natsListen, team.StoreDir(c.db), token)
		if err != nil {
			return err
		}
		t.server = srv
		d = srv.Dial("kycwatch " + origin)
		replicas = 1
	}
	t.where, t.origin = d.Where(), origin
	var err error
	t.publisher, err = team.NewPublisher(ctx, team.PublisherConfig{Store: a.store, Events: a.events, Dial: d, Origin: origin,
		Replicas: replicas, Log: teamLog, Say: say})
	if err != nil {
		return err
	}
	if t.server != nil {
		t.where = "nats://" + t.server.Addr
		t.lines = []string{fmt.Sprintf("sharing on nats://%s as %s (JetStream stream %s, kept in %s); teammates join with:",
			t.server.Addr, origin, team.Stream, t.server.Dir)}
	} else {
		t.lines = []string{fmt.Sprintf("publishing to %s as %s (stream %s, subjects kycwatch.%s.<provider>.<kind>)",
			t.where, origin, team.Stream, team.Token(origin))}
	}
	return cleanErr(t.publisher.Connect(ctx))
}

// cleanErr keeps an error that may quote the NATS server printable.
func cleanErr(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(team.CleanText(err.Error()))
}

// startTeam runs the publisher and the follower (once the app serves).
func (a *app) startTeam(ctx context.Context) {
	if a.team == nil {
		return
	}
	a.team.started = true
	if p := a.team.publisher; p != nil {
		go p.Run(ctx)
	}
	if f := a.team.follower; f != nil {
		go f.Run(ctx)
	}
}

// waitTeam waits for them after ctx, then stops the embedded server.
func (a *app) waitTeam() {
	if a.team == nil {
		return
	}
	if p := a.team.publisher; p != nil && a.team.started {
		p.Wait()
	}
	if f := a.team.follower; f != nil && a.team.started {
		f.Wait()
	}
	if s := a.team.server; s != nil {
		s.Shutdown()
	}
}

// joinLine is the command teammates run ("" when not sharing). It holds
// the token whole: it is the line the person must copy to them.
func (a *app) joinLine() string {
	if a.team == nil || a.team.server == nil {
		return ""
	}
	return a.team.server.JoinLine()
}

// teamHeader is the TUI header's team line (token hidden), and the field
// u reaches and c copies whole (the join line).
func (a *app) teamHeader() (string, *ui.Field) {
	if a.team == nil {
		return "", nil
	}
	if j := a.joinLine(); j != "" {
		addr := a.team.server.Addr
		line := fmt.Sprintf("⇄ sharing on nats://%s as %s · teammates: kycwatch follow nats://%s@%s (u, c)", addr,
			a.team.origin, display.Mask(a.store.Setting(context.Background(), settingToken)), addr)
		return line, &ui.Field{Name: "Teammates run (c copies it whole)", Short: "join", Value: j, Secret: true}
	}
	return "⇄ " + strings.Join(a.team.lines, " · "), nil
}

// readOnlyLab is the lab of a follower: it watches other instances'
// sessions, so the keys that would act on one say where they work.
type readOnlyLab struct {
	*lab.Lab
	store *sessions.Store
}

func (l readOnlyLab) owner(ctx context.Context, id string) error {
	who := "the instance that created it"
	if o := l.store.OriginOf(ctx, id); o != "" {
		who = o
	}
	return fmt.Errorf("this session belongs to %s: decision and lab keys work there (a follower only watches; R replays to this kycwatch)", who)
}

func (l readOnlyLab) Create(ctx context.Context, f sessions.NewSession, simulated bool) (sessions.Created, error) {
	return sessions.Created{}, errors.New("a follower only watches: create sessions on a kycwatch that receives them (--share or --nats)")
}

func (l readOnlyLab) Invite(ctx context.Context, f sessions.InviteForm) (sessions.Created, error) {
	return sessions.Created{}, errors.New("a follower only watches: invite on a kycwatch that receives the webhooks (--share or --nats)")
}

func (l readOnlyLab) Decide(ctx context.Context, t sessions.Target, status string) error {
	return l.owner(ctx, t.SessionID)
}

func (l readOnlyLab) Forge(ctx context.Context, t sessions.Target, kind sessions.Forgery) (int, error) {
	return 0, l.owner(ctx, t.SessionID)
}

func (l readOnlyLab) Assess(ctx context.Context, t sessions.Target, level string) error {
	return l.owner(ctx, t.SessionID)
}
