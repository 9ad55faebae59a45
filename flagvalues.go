// The flag types kycwatch's flags are made of: repeatable strings, the
// sandbox's webhook routes, byte sizes, and how flags are listed in help.

package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string { return strings.Join(*m, ",") }

func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// webhookRoutes is where the sandbox sends its webhooks: a URL for every
// kind (key ""), or one per kind (events, decisions, verifime), as Veriff's
// portal has a URL for events and another for decisions. A kind with no
// URL goes to kycwatch itself.
type webhookRoutes map[string]string

var webhookKinds = []string{"events", "decisions", "verifime"}

// parseWebhookRoutes reads --sandbox-webhook values: URL, or KIND=URL.
func parseWebhookRoutes(vals []string) (webhookRoutes, error) {
	r := webhookRoutes{}
	for _, v := range vals {
		kind, u := "", strings.TrimSpace(v)
		if k, rest, ok := strings.Cut(u, "="); ok && !strings.Contains(k, ":") {
			kind, u = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(rest)
			if !slices.Contains(webhookKinds, kind) {
				return nil, fmt.Errorf("--sandbox-webhook %q: the kind is events, decisions or verifime, not %q", v, k)
			}
		}
		if !httpURL(u) {
			return nil, fmt.Errorf("--sandbox-webhook %q: want an http:// or https:// URL", v)
		}
		if _, dup := r[kind]; dup {
			what := "every kind"
			if kind != "" {
				what = kind
			}
			return nil, fmt.Errorf("--sandbox-webhook: two URLs for %s", what)
		}
		r[kind] = u
	}
	if len(r) == 0 {
		return nil, nil
	}
	return r, nil
}

// httpURL reports whether s is an absolute http:// or https:// URL, as
// --forward-to, --sandbox-webhook and check need.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// url is where a webhook for the simulator's path goes ("" for kycwatch
// itself).
func (r webhookRoutes) url(path string) string {
	kind := "verifime"
	switch {
	case strings.HasPrefix(path, "/veriff/events"):
		kind = "events"
	case strings.HasPrefix(path, "/veriff/decisions"):
		kind = "decisions"
	}
	if u, ok := r[kind]; ok {
		return u
	}
	return r[""]
}

// describe says where the routed kinds go, for headless stderr, with no
// scheme: the public URL stays the first https:// line there.
func (r webhookRoutes) describe() string {
	var parts []string
	for _, k := range append([]string{""}, webhookKinds...) {
		if u, ok := r[k]; ok {
			if k == "" {
				k = "all"
			}
			parts = append(parts, k+" → "+strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://"))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; webhooks " + strings.Join(parts, ", ")
}

// allAway reports whether no Veriff webhook of the sandbox comes to
// kycwatch itself.
func (r webhookRoutes) allAway() bool {
	return r.url("/veriff/events") != "" && r.url("/veriff/decisions") != ""
}

// byteSize is a flag like 10MiB, 512KiB, 1MB or a plain number of bytes.
type byteSize int64

func (b *byteSize) String() string {
	n := int64(*b)
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

// printFlags lists a command's flags as flag.PrintDefaults does, with each
// description wrapped to fit 80 columns.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, use := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if name != "" {
			line += " " + name
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "0s" {
			use += " (default " + def + ")"
		}
		fmt.Fprintln(w, line)
		var cur string
		for _, word := range strings.Fields(use) {
			if cur != "" && len(cur)+1+len(word) > 74 {
				fmt.Fprintln(w, "      "+cur)
				cur = ""
			}
			if cur != "" {
				cur += " "
			}
			cur += word
		}
		if cur != "" {
			fmt.Fprintln(w, "      "+cur)
		}
	})
}

func (b *byteSize) Set(s string) error {
	n, err := parseSize(s)
	*b = byteSize(n)
	return err
}

func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suffix)) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a size such as 10MiB or 65536")
	}
	return n * mult, nil
}
