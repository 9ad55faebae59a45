// How the simulator delivers: signed over the exact bytes, over real HTTP,
// to kycwatch or to the URL a kind is routed to; and the forgeries that
// must fail kycwatch's checks.

package simulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/kycwatch/kycwatch/internal/webhook"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

// Forge sends a submitted event for the session that fails one check. The
// answer is expected to be 401 or 400; a 200 is reported as an error.
func (s *Simulator) Forge(ctx context.Context, sessionID string, kind sessions.Forgery, known Known) (status int, err error) {
	ss := s.session(sessionID, known)
	s.mu.Lock()
	ev := ss.event(veriff.ActionSubmitted)
	s.mu.Unlock()
	body, err := webhook.Marshal(ev)
	if err != nil {
		return 0, err
	}
	secret, apiKey := s.cfg.Secret, s.cfg.APIKey
	switch kind {
	case sessions.BadSignature:
		secret = "forged-" + randomHex(8)
	case sessions.WrongAPIKey:
		apiKey = sessions.NewUUID()
	case sessions.InvalidJSON:
		body = body[:len(body)/2]
	default:
		return 0, fmt.Errorf("unknown forgery %q", kind)
	}
	status, err = s.post(ctx, "/veriff/events", body, secret, apiKey)
	if err == nil && status == http.StatusOK {
		err = fmt.Errorf("kycwatch accepted a %s delivery: is a secret (and API key) configured?", kind)
	}
	return status, err
}

// deliver posts a webhook signed as Veriff signs it and expects 200.
func (s *Simulator) deliver(ctx context.Context, path string, payload any, secret, apiKey string) error {
	body, err := webhook.Marshal(payload)
	if err != nil {
		return err
	}
	status, err := s.post(ctx, path, body, secret, apiKey)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("answered %d: Veriff counts only 200 as delivered", status)
	}
	return nil
}

func (s *Simulator) post(ctx context.Context, path string, body []byte, secret, apiKey string) (int, error) {
	return s.postSigned(ctx, path, body, map[string]string{
		"User-Agent":           "kycwatch-simulator/1 (Veriff webhooks)",
		veriff.ClientHeader:    apiKey,
		veriff.SignatureHeader: veriff.Sign(secret, body),
	})
}

// postSigned posts body as JSON with the given headers to the target.
func (s *Simulator) postSigned(ctx context.Context, path string, body []byte, headers map[string]string) (int, error) {
	url := strings.TrimRight(s.cfg.Target(), "/") + path
	if s.cfg.Webhook != nil {
		url = s.cfg.Webhook(path)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.cfg.HTTP.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 0, err
		}
		return 0, fmt.Errorf("posting to %s: %w", url, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	s.cfg.Log.Debug("simulator delivered", "url", url, "status", resp.StatusCode)
	return resp.StatusCode, nil
}

// token is a session token shaped like Veriff's (a JWT, HS256), signed with
// the simulator's secret.
func (s *Simulator) token(sessionID string) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims := enc.EncodeToString([]byte(fmt.Sprintf(`{"session_id":%q,"iat":%d}`, sessionID, s.cfg.Now().Unix())))
	mac := hmac.New(sha256.New, []byte(s.cfg.Secret))
	mac.Write([]byte(head + "." + claims))
	return head + "." + claims + "." + enc.EncodeToString(mac.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// NewSecret returns a shared secret for the simulator when none is set.
func NewSecret() string { return "sim-" + randomHex(16) }
