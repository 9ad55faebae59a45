// Package apiclient holds what the providers' API clients share: saying
// plainly why a call got no answer at all, and a short excerpt of an
// answer for an error message.
package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// NetError says what failed when no answer came from base; urlVar names
// the setting that holds base (VERIFF_API_URL, VERIFIME_API_URL).
func NetError(base, urlVar string, err error) error {
	var dns *net.DNSError
	var t interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &t) && t.Timeout()):
		return fmt.Errorf("no answer from %s in time (network, or %s?)", base, urlVar)
	case errors.As(err, &dns):
		return fmt.Errorf("cannot resolve %s: no network, or a wrong %s", dns.Name, urlVar)
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("cannot reach %s: %v", base, err)
}

// Snippet is an answer's first 160 characters, its white space folded.
func Snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return s
}
