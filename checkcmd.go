// kycwatch check: Veriff's webhook checklist against an endpoint.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
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
	fs := commandFlags("kycwatch check", checkUsage, stderr)
	secret := fs.String("secret", "", "the endpoint's shared `secret` (default $VERIFF_SHARED_SECRET)")
	apiKey := fs.String("api-key", "", "the API `key` it expects (default $VERIFF_API_KEY; none: that case is skipped)")
	asJSON := fs.Bool("json", false, "print the results as JSON (for CI)")
	limit := fs.Duration("limit", 10*time.Second, "how long an answer may take")
	url, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		url, rest = args[0], args[1:]
	}
	if err := parseQuietly(fs, rest, "kycwatch check --help"); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "kycwatch check:", err)
		return 2
	}
	extra := fs.Args()
	if url == "" && len(extra) > 0 { // flags, the URL, maybe more flags
		url = extra[0]
		if err := parseQuietly(fs, extra[1:], "kycwatch check --help"); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "kycwatch check:", err)
			return 2
		}
		extra = fs.Args()
	}
	if len(extra) > 0 {
		fmt.Fprintf(stderr, "kycwatch check: unexpected argument %q: one URL, then flags (kycwatch check --help)\n", extra[0])
		return 2
	}
	if *limit <= 0 {
		fmt.Fprintln(stderr, "kycwatch check: --limit must be positive (e.g. 10s)")
		return 2
	}
	if !httpURL(url) {
		fmt.Fprintf(stderr, "kycwatch check: give the endpoint's URL (http:// or https://), got %q\n", url)
		return 2
	}
	if err := refuseEmptyInput(fs, map[string]string{"secret": "VERIFF_SHARED_SECRET", "api-key": "VERIFF_API_KEY"},
		"VERIFF_SHARED_SECRET", "VERIFF_API_KEY"); err != nil {
		fmt.Fprintln(stderr, "kycwatch check:", err)
		return 2
	}
	keysFromEnv(secret, apiKey)
	if *secret == "" {
		fmt.Fprintln(stderr, "kycwatch check: the endpoint's shared secret is needed to sign: pass --secret or set VERIFF_SHARED_SECRET")
		return 2
	}
	results, stopped := checklist.Run(context.Background(), checklist.Config{URL: url, Secret: *secret, APIKey: *apiKey, Limit: *limit})
	ok := stopped == nil
	for _, r := range results {
		ok = ok && r.Pass
	}
	if *asJSON {
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
