package forward

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

// Replayer sends a stored delivery again: to the user's app when
// forwarding (the point is to exercise the fix), else to kycwatch itself,
// where it arrives as a new delivery marked as a replay.
type Replayer struct {
	Store    *sessions.Store
	Forward  *Forwarder // nil when not forwarding
	LocalURL string     // kycwatch's own listener
	Keys     func() decode.Keys
	HTTP     *http.Client
}

// Replay sends delivery seq again. A non-nil body replaces the stored one
// (an edited replay); resign signs it again with the configured secret,
// else the original signature header goes as it was (and will not match
// an edited body). It says what happened in one line.
func (rp *Replayer) Replay(ctx context.Context, seq int64, body []byte, resign bool) (string, error) {
	r, err := rp.Store.Get(ctx, seq)
	if err != nil {
		return "", fmt.Errorf("delivery #%d: %w", seq, err)
	}
	if r.Truncated {
		return "", fmt.Errorf("delivery #%d was over the size limit: only its first bytes are kept, so it cannot be sent again", seq)
	}
	if body != nil {
		r.Body, r.BodySize = body, int64(len(body))
	}
	r.Header = cloneHeader(r.Header)
	if resign {
		if err := rp.resign(&r); err != nil {
			return "", err
		}
	}
	what, sentAs := "replayed", sessions.SentReplay
	if body != nil {
		what, sentAs = "edited and replayed (original signature)", sessions.SentEdited
		if resign {
			what, sentAs = "edited and replayed (re-signed)", sessions.SentResigned
		}
	}
	if rp.Forward != nil && len(rp.Forward.Targets) > 0 {
		// X-Kycwatch-Verified is the verdict on the bytes sent now, not on
		// the stored ones: an edited body under its old signature is invalid.
		keys := decode.Keys{}
		if rp.Keys != nil {
			keys = rp.Keys()
		}
		r.Verdict = decode.Verify(r.Header, r.Body, decode.ProviderOf(r.Header, decode.Decode(r.Body).Kind), keys)
		fs := rp.Forward.Send(ctx, r, sentAs)
		var parts []string
		for _, f := range fs {
			if f.Error != "" {
				parts = append(parts, f.Target+": "+f.Error)
			} else {
				parts = append(parts, fmt.Sprintf("%s → %d in %s", f.Target, f.Status, f.Latency.Round(time.Millisecond)))
			}
		}
		return fmt.Sprintf("%s #%d to %s", what, seq, strings.Join(parts, "; ")), nil
	}
	status, err := rp.toSelf(ctx, r)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s #%d to kycwatch: answered %d", what, seq, status), nil
}

func (rp *Replayer) toSelf(ctx context.Context, r sessions.Record) (int, error) {
	req, err := http.NewRequestWithContext(ctx, cmpMethod(r.Method), strings.TrimRight(rp.LocalURL, "/")+r.Path, bytes.NewReader(r.Body))
	if err != nil {
		return 0, err
	}
	for k, vs := range r.Header {
		if !notForwarded[http.CanonicalHeaderKey(k)] {
			req.Header[k] = append([]string(nil), vs...)
		}
	}
	req.Header.Set("X-Kycwatch-Replay", fmt.Sprint(r.Seq))
	client := rp.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sending to kycwatch: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// resign replaces the signature header with one over the (edited) body,
// with the provider's configured secret.
func (rp *Replayer) resign(r *sessions.Record) error {
	keys := decode.Keys{}
	if rp.Keys != nil {
		keys = rp.Keys()
	}
	provider := decode.ProviderOf(r.Header, decode.Decode(r.Body).Kind)
	secrets, names := keys.VeriffSecrets, veriff.SignatureHeaders
	if provider == decode.VerifiMe {
		secrets, names = keys.VerifiMeSecrets, []string{verifime.SignatureHeader}
	}
	if len(secrets) == 0 {
		return fmt.Errorf("no %s secret is configured to sign with", provider)
	}
	for k := range r.Header { // drop every spelling of the old one
		for _, n := range names {
			if strings.EqualFold(k, n) {
				delete(r.Header, k)
			}
		}
	}
	r.Header[names[0]] = []string{decode.Sign(secrets[0], r.Body)}
	return nil
}

func cloneHeader(h map[string][]string) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
