// How flags and variables are checked: one line per mistake, with the
// nearest flag or command when one is close; empty values refused; the
// ngrok CLI's token found.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/sessions"
)

// commandFlags is a subcommand's flag set: its mistakes go to stderr, and
// --help prints usage, then the flags.
func commandFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); printFlags(stderr, fs) }
	return fs
}

// parseCommand parses a subcommand's flags: --help prints its usage
// (code 0), a mistake or a stray argument gets one line (code 2); ok says
// the command goes on. stray says what the arguments should be.
func parseCommand(fs *flag.FlagSet, args []string, name, stray string, stderr io.Writer) (code int, ok bool) {
	if code, ok := parseCommandFlags(fs, args, name, stderr); !ok {
		return code, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q%s (%s --help)\n", name, fs.Arg(0), stray, name)
		return 2, false
	}
	return 0, true
}

// leadingArg splits off a first argument that is not a flag (send's kind,
// check's URL).
func leadingArg(args []string) (first string, rest []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// parseCommandFlags is parseCommand leaving the arguments after the flags
// (fs.Args) to the caller.
func parseCommandFlags(fs *flag.FlagSet, args []string, name string, stderr io.Writer) (code int, ok bool) {
	if err := parseQuietly(fs, args, name+" --help"); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		fmt.Fprintln(stderr, name+":", err)
		return 2, false
	}
	return 0, true
}

// parseQuietly parses args and, on a mistake, returns one line naming it
// (with the nearest flag when one is close) instead of printing the whole
// usage; --help still prints it.
func parseQuietly(fs *flag.FlagSet, args []string, help string) error {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	if err == nil {
		return nil
	}
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	return fmt.Errorf("%s; %s lists the flags", flagMistake(fs, err.Error()), help)
}

// flagMistake says a parse error of package flag in kycwatch's words:
// the flag with two dashes, and what a right value looks like.
func flagMistake(fs *flag.FlagSet, msg string) string {
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = "unknown flag --" + name
		if near := nearestFlag(fs, name); near != "" {
			msg += " (did you mean --" + near + "?)"
		}
		return msg
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "--" + name + " needs a value"
	}
	// invalid value "V" for flag -NAME: WHY; invalid boolean value "V" for -NAME: WHY
	rest, ok := strings.CutPrefix(msg, "invalid value ")
	if !ok {
		rest, ok = strings.CutPrefix(msg, "invalid boolean value ")
	}
	if !ok {
		return msg
	}
	i := strings.LastIndex(rest, " for ")
	if i < 0 {
		return msg
	}
	val := rest[:i]
	name, why, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(rest[i+len(" for "):], "flag "), "-"), ": ")
	if why == "parse error" || why == "value out of range" {
		if f := fs.Lookup(name); f != nil {
			if g, ok := f.Value.(flag.Getter); ok {
				switch g.Get().(type) {
				case bool:
					why = "want true or false"
				case time.Duration:
					why = "want a duration such as 10s or 5m"
				case int, int64, uint, uint64:
					why = "want a whole number"
				}
			}
		}
	}
	return "--" + name + " " + val + ": " + why
}

// nearestFlag is the defined flag closest to a mistyped name, if any is
// close (a typo or two).
func nearestFlag(fs *flag.FlagSet, name string) string {
	best, bestD := "", min(3, len(name)/2+1)
	fs.VisitAll(func(f *flag.Flag) {
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// commands are kycwatch's subcommands.
var commands = []string{"send", "check", "export", "sandbox"}

// nearestCommand is the subcommand closest to a mistyped one, if any is
// close.
func nearestCommand(name string) string {
	best, bestD := "", min(3, len(name)/2+1)
	for _, c := range commands {
		if d := editDistance(strings.ToLower(name), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1) // two letters swapped
			}
		}
	}
	return d[len(a)][len(b)]
}

// refuseEmpty refuses a key flag given an empty value, as an unset shell
// variable makes it (--secret "$VERIFF_SHARED_SECRET"): kycwatch would
// otherwise check every delivery against "" and refuse them all.
func refuseEmpty(fs *flag.FlagSet, envOf map[string]string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		env, watched := envOf[f.Name]
		if !watched || err != nil {
			return
		}
		vals := []string{f.Value.String()}
		if m, ok := f.Value.(*multi); ok {
			vals = *m
		}
		for _, v := range vals {
			if strings.TrimSpace(v) == "" {
				out := "none"
				if withDefault[f.Name] {
					out = "the default"
				}
				if env != "" {
					err = fmt.Errorf("--%s is empty: is %s set? (leave the flag out for %s)", f.Name, env, out)
				} else {
					err = fmt.Errorf("--%s is empty: is the variable you passed set? (leave the flag out for %s)", f.Name, out)
				}
				return
			}
		}
	})
	return err
}

// withDefault are the flags that, left out, have a default rather than
// nothing.
var withDefault = map[string]bool{"db": true, "export-dir": true, "log": true, "to": true, "api-url": true, "verifime-api-url": true}

// refuseEmptyEnvs refuses the first of names that is set but empty.
func refuseEmptyEnvs(names ...string) error {
	for _, name := range names {
		if err := refuseEmptyEnv(name); err != nil {
			return err
		}
	}
	return nil
}

// refuseEmptyInput refuses what refuseEmpty does (a watched flag given
// empty), then what refuseEmptyEnvs does (one of envs set but empty).
func refuseEmptyInput(fs *flag.FlagSet, envOf map[string]string, envs ...string) error {
	if err := refuseEmpty(fs, envOf); err != nil {
		return err
	}
	return refuseEmptyEnvs(envs...)
}

// refuseEmptyEnv refuses a variable that is set but holds nothing (or an
// empty item in a comma-separated list).
func refuseEmptyEnv(name string) error {
	v, ok := os.LookupEnv(name)
	if !ok {
		return nil
	}
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s is set but empty: give it a value, or unset it (unset %s)", name, name)
	}
	if name == "VERIFF_SHARED_SECRET" {
		for _, s := range strings.Split(v, ",") {
			if strings.TrimSpace(s) == "" {
				return fmt.Errorf("%s has an empty secret in its comma-separated list", name)
			}
		}
	}
	return nil
}

// checkAddr refuses an --addr net.Listen would not take.
func checkAddr(addr string) error {
	bad := fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:8080 (or :0 for any free port)", addr)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return bad
	}
	return nil
}

// checkBaseURL refuses an API base URL that is not http(s), naming where
// it came from.
func checkBaseURL(fs *flag.FlagSet, name, env, u string) error {
	if httpURL(u) {
		return nil
	}
	from := "--" + name
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if !set {
		from = env
	}
	return fmt.Errorf("%s %q: want an http:// or https:// URL", from, u)
}

func splitEnv(name string) []string {
	var out []string
	for _, s := range strings.Split(os.Getenv(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ngrokConfigToken reads the authtoken the ngrok CLI saved (ngrok config
// add-authtoken), so that a machine set up for ngrok needs nothing more.
func ngrokConfigToken() (token, from string) {
	var paths []string
	if dir, err := os.UserConfigDir(); err == nil {
		paths = append(paths, filepath.Join(dir, "ngrok", "ngrok.yml"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		paths = append(paths, filepath.Join(home, ".ngrok2", "ngrok.yml"))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if t := yamlToken(string(b)); t != "" {
			return t, p
		}
	}
	return "", ""
}

// yamlToken finds "authtoken: X" in an ngrok.yml (version 2 has it at the
// top, version 3 under "agent:"); quotes are dropped.
func yamlToken(doc string) string {
	for _, line := range strings.Split(doc, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || strings.TrimSpace(k) != "authtoken" {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		return strings.Trim(v, `"'`)
	}
	return ""
}

// parseKeep reads --keep: 30d, 12h, or a count of deliveries.
func parseKeep(s string) (sessions.Retention, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return sessions.Retention{MaxCount: n}, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return sessions.Retention{MaxAge: time.Duration(n) * 24 * time.Hour}, nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return sessions.Retention{MaxAge: d}, nil
	}
	return sessions.Retention{}, fmt.Errorf("--keep %q: want an age (30d, 12h) or a number of deliveries (100000)", s)
}
