package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kycwatch/kycwatch/sessions"
)

// What the subcommands share (the running kycwatch's address and keys, as
// its database says), and kycwatch sandbox keys. Each other subcommand
// has its file: send.go, checkcmd.go, exportcmd.go, teamflags.go (follow).

// keysFromEnv fills secret and API key from the environment when unset.
func keysFromEnv(secret, apiKey *string) {
	if *secret == "" {
		if s := splitEnv("VERIFF_SHARED_SECRET"); len(s) > 0 {
			*secret = s[0]
		}
	}
	if *apiKey == "" {
		*apiKey = strings.TrimSpace(os.Getenv("VERIFF_API_KEY"))
	}
}

// runningKycwatch is what the database of a kycwatch says about it.
type runningKycwatch struct {
	db     string
	url    string // where it listens ("" if it never ran on this database)
	secret string // the secret it generated (the sandbox's)
	apiKey string // the API key it generated (the sandbox's)
	// instance is the id its local listener answers with ("" when it
	// did not record one).
	instance string
	own      map[string]bool // checks it was given keys for: secret, api-key, sandbox-secret
}

// readRunning reads the database at path (else $KYCWATCH_DB, else the
// default), if there is one; it is never created here.
func readRunning(path string) runningKycwatch {
	r := runningKycwatch{db: dbPath(path), own: map[string]bool{}}
	if _, err := os.Stat(r.db); err != nil {
		return r
	}
	store, err := sessions.Open(r.db)
	if err != nil {
		return r
	}
	defer store.Close()
	ctx := context.Background()
	r.url, r.secret = store.Setting(ctx, settingLocalURL), store.Setting(ctx, settingSandboxSecret)
	r.apiKey = store.Setting(ctx, settingSandboxKey)
	r.instance = store.Setting(ctx, settingInstance)
	for _, k := range strings.Split(store.Setting(ctx, settingOwnKeys), ",") {
		if k != "" {
			r.own[k] = true
		}
	}
	return r
}

// dbPath is the database a subcommand reads: the flag, else $KYCWATCH_DB,
// else the default ("" when there is none).
func dbPath(flagValue string) string {
	if p := cmp.Or(flagValue, os.Getenv("KYCWATCH_DB")); p != "" {
		return p
	}
	p, _ := sessions.DefaultPath()
	return p
}

// openCommandDB opens the database a subcommand works on (dbPath). With
// create, one not there yet is made; without, its absence is the user's
// mistake. ok false: a line on stderr, as name, and the exit status.
func openCommandDB(name, flagValue string, create bool, stderr io.Writer) (store *sessions.Store, path string, code int, ok bool) {
	path = dbPath(flagValue)
	if path == "" {
		fmt.Fprintln(stderr, name+": no database path (--db)")
		return nil, "", 2, false
	}
	if !create {
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(stderr, "%s: no database at %s (--db)\n", name, path)
			return nil, "", 2, false
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return nil, "", 1, false
	}
	store, err := sessions.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return nil, "", 1, false
	}
	return store, path, 0, true
}

const sandboxUsage = `kycwatch sandbox keys: print the sandbox's API key and shared secret whole.

Usage:
  kycwatch sandbox keys [--db PATH]

For a backend (or its CI) that calls kycwatch's Veriff-compatible sandbox:
one KEY=value line each for VERIFF_API_URL (where the sandbox answers),
VERIFF_API_KEY and VERIFF_SHARED_SECRET, e.g.
  kycwatch sandbox keys > .env.kycwatch
They are the ones kycwatch on the same database uses: VERIFF_API_KEY and
VERIFF_SHARED_SECRET when set, else a key and secret generated once and
kept in the database (made now if kycwatch never ran). A kycwatch given
a secret or key of its own (--secret, --sandbox-secret, --api-key,
--sandbox-key) stores none of them: then sandbox keys prints nothing and
says which one to pass (VERIFF_SHARED_SECRET, VERIFF_API_KEY). The secret
is printed whole: keep the output out of logs you share.

Flags:
`

// sandboxCmd is kycwatch sandbox keys.
func sandboxCmd(args []string, stdout, stderr io.Writer) int {
	fs := commandFlags("kycwatch sandbox keys", sandboxUsage, stderr)
	db := fs.String("db", "", "database `path` (default $KYCWATCH_DB, else the user data directory)")
	if len(args) == 0 || args[0] != "keys" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return 0
		}
		fmt.Fprintln(stderr, "kycwatch sandbox: the one command is keys (kycwatch sandbox keys --help)")
		return 2
	}
	if code, ok := parseCommand(fs, args[1:], "kycwatch sandbox keys", "", stderr); !ok {
		return code
	}
	if err := refuseEmptyInput(fs, map[string]string{"db": "KYCWATCH_DB"}, "VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "KYCWATCH_DB"); err != nil {
		fmt.Fprintln(stderr, "kycwatch sandbox keys:", err)
		return 2
	}
	store, path, code, ok := openCommandDB("kycwatch sandbox keys", *db, true, stderr)
	if !ok {
		return code
	}
	defer store.Close()
	var c config
	c.keys.VeriffAPIKey = strings.TrimSpace(os.Getenv("VERIFF_API_KEY"))
	c.keys.VeriffSecrets = splitEnv("VERIFF_SHARED_SECRET")
	ctx := context.Background()
	// A kycwatch given its keys keeps none: print nothing rather than a
	// generated secret its sandbox does not check with.
	own := map[string]bool{}
	for _, k := range strings.Split(store.Setting(ctx, settingOwnKeys), ",") {
		own[k] = k != ""
	}
	if why := unstoredSandboxKeys(path, own, len(c.keys.VeriffSecrets) > 0, c.keys.VeriffAPIKey != ""); why != "" {
		fmt.Fprintln(stderr, "kycwatch sandbox keys:", why)
		return 2
	}
	key, secret, from, err := sandboxKeys(ctx, store, c)
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch sandbox keys:", err)
		return 1
	}
	base := store.Setting(ctx, settingLocalURL)
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	fmt.Fprintf(stdout, "VERIFF_API_URL=%s/sandbox\nVERIFF_API_KEY=%s\nVERIFF_SHARED_SECRET=%s\n", strings.TrimRight(base, "/"), key, secret)
	fmt.Fprintf(stderr, "kycwatch sandbox keys: API key %s; secret %s\n", from[0], from[1])
	return 0
}
