// kycwatch check: Veriff's webhook checklist against an endpoint.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/kycwatch/kycwatch/lab/checklist"
)

const checkUsage = `kycwatch check: run Veriff's webhook test checklist against your endpoint.

Usage:
  kycwatch check URL [--secret S] [--api-key K] [--json]

It sends real signed deliveries to URL and says, case by case, what the
answers show and why a case fails: the events and every decision status
accepted (2xx); a wrong API key, a mismatched HMAC and a delivery with no
signature refused (4xx, not 5xx); invalid JSON answered, not with a 5xx; a
body with unusual but valid formatting accepted (2xx: an endpoint that
verifies a re-encoding rather than the raw bytes refuses it); a retry
accepted twice; every answer in time. When nothing answers at URL, or the
endpoint stops answering, it says so and stops. Exit status 1 when any
case fails or the run stops.

Flags:
`

func check(args []string, stdout, stderr io.Writer) int {
	f, code, ok := parseCheck(args, stderr)
	if !ok {
		return code
	}
	url := f.url
	results, stopped := checklist.Run(context.Background(), checklist.Config{URL: url, Secret: f.secret, APIKey: f.apiKey, Limit: f.limit})
	ok = stopped == nil
	for _, r := range results {
		ok = ok && r.Pass
	}
	if f.asJSON {
		report := struct {
			URL     string             `json:"url"`
			Pass    bool               `json:"pass"`
			Stopped string             `json:"stopped,omitempty"`
			Results []checklist.Result `json:"results"`
		}{URL: url, Pass: ok, Results: results}
		if stopped != nil {
			report.Stopped = stopped.Error()
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(report)
	} else if len(results) == 0 && stopped != nil {
		// Nothing listening: one line, not a table of the same failure.
		fmt.Fprintln(stderr, "kycwatch check: "+stopped.Error())
	} else {
		fmt.Fprintf(stdout, "Checking %s\n\n", url)
		checklist.Table(stdout, results)
		if stopped != nil {
			fmt.Fprintln(stdout, "\n"+stopped.Error()+"; the remaining cases were not run")
		}
	}
	if !ok {
		return 1
	}
	return 0
}

// checkFlags is what kycwatch check was told.
type checkFlags struct {
	url, secret, apiKey string
	asJSON              bool
	limit               time.Duration
}

// parseCheck reads check's arguments: the URL, before or among the flags,
// then the keys from the environment. ok false: stop with code (the
// mistake said on stderr, or --help printed).
func parseCheck(args []string, stderr io.Writer) (f checkFlags, code int, ok bool) {
	fs := commandFlags("kycwatch check", checkUsage, stderr)
	fs.StringVar(&f.secret, "secret", "", "the endpoint's shared `secret` (default $VERIFF_SHARED_SECRET)")
	fs.StringVar(&f.apiKey, "api-key", "", "the API `key` it expects (default $VERIFF_API_KEY; none: that case is skipped)")
	fs.BoolVar(&f.asJSON, "json", false, "print the results as JSON (for CI)")
	fs.DurationVar(&f.limit, "limit", 10*time.Second, "how long an answer may take")
	var rest []string
	f.url, rest = leadingArg(args)
	if f.url == "" { // flags, the URL, maybe more flags
		if code, ok := parseCommandFlags(fs, rest, "kycwatch check", stderr); !ok {
			return f, code, false
		}
		rest = fs.Args()
		if len(rest) > 0 {
			f.url, rest = rest[0], rest[1:]
		}
	}
	if code, ok := parseCommand(fs, rest, "kycwatch check", ": one URL, then flags", stderr); !ok {
		return f, code, false
	}
	if f.limit <= 0 {
		fmt.Fprintln(stderr, "kycwatch check: --limit must be positive (e.g. 10s)")
		return f, 2, false
	}
	if !httpURL(f.url) {
		fmt.Fprintf(stderr, "kycwatch check: give the endpoint's URL (http:// or https://), got %q\n", f.url)
		return f, 2, false
	}
	if err := refuseEmptyInput(fs, map[string]string{"secret": "VERIFF_SHARED_SECRET", "api-key": "VERIFF_API_KEY"},
		"VERIFF_SHARED_SECRET", "VERIFF_API_KEY"); err != nil {
		fmt.Fprintln(stderr, "kycwatch check:", err)
		return f, 2, false
	}
	keysFromEnv(&f.secret, &f.apiKey)
	if f.secret == "" {
		fmt.Fprintln(stderr, "kycwatch check: the endpoint's shared secret is needed to sign: pass --secret or set VERIFF_SHARED_SECRET")
		return f, 2, false
	}
	return f, 0, true
}
