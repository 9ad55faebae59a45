// Veriff's API v1 for test sessions: the request and response shapes
// (shared with kycwatch's simulator, which answers in the same shapes) and
// a client for POST /v1/sessions.

package veriff

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/internal/webhook"
	"github.com/kycwatch/kycwatch/providers/internal/apiclient"
)

// DefaultBaseURL is Veriff's API host unless the integration page names
// another (VERIFF_API_URL).
const DefaultBaseURL = "https://stationapi.veriff.com"

// SessionRequest is the body of POST /v1/sessions.
type SessionRequest struct {
	Verification NewVerification `json:"verification"`
}

// NewVerification is what a new session is created with. Only the object
// itself is required; empty fields are left out.
type NewVerification struct {
	Callback   string     `json:"callback,omitempty"`
	Person     *NewPerson `json:"person,omitempty"`
	VendorData string     `json:"vendorData,omitempty"`
	EndUserID  string     `json:"endUserId,omitempty"`
}

// NewPerson is the end-user's name as the integrator knows it.
type NewPerson struct {
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
}

// SessionResponse is the 201 answer to POST /v1/sessions.
type SessionResponse struct {
	Status       string  `json:"status"`
	Verification Created `json:"verification"`
}

// Created is a new session: where the end-user goes (URL) and its id.
type Created struct {
	ID           string `json:"id"`
	URL          string `json:"url"`
	VendorData   string `json:"vendorData,omitempty"`
	Host         string `json:"host,omitempty"`
	BaseURL      string `json:"baseUrl,omitempty"` // older answers
	Status       string `json:"status"`
	SessionToken string `json:"sessionToken,omitempty"`
}

// ErrorResponse is Veriff's error body: {"status":"fail","code":"1801","message":"…"}.
type ErrorResponse struct {
	Status  string `json:"status"`
	Code    any    `json:"code"` // documented as a string, seen as a number
	Message string `json:"message"`
}

// Error is an answer other than 201, said plainly.
type Error struct {
	HTTPStatus int
	Code       string // Veriff's error code, e.g. "1801"
	Message    string // Veriff's message
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Veriff answered %d", e.HTTPStatus)
	if e.Code != "" {
		fmt.Fprintf(&b, " (code %s)", e.Code)
	}
	h, known := codeHints[e.Code]
	switch {
	case e.Message != "": // Veriff's own words, then what to do
		b.WriteString(": " + strings.TrimSuffix(strings.TrimSpace(e.Message), "."))
	case known:
		b.WriteString(": " + h.what)
	}
	switch {
	case known && h.do != "":
		b.WriteString("; " + h.do)
	case !known && e.HTTPStatus == http.StatusUnauthorized:
		b.WriteString("; check VERIFF_API_KEY and VERIFF_SHARED_SECRET (Customer Portal, the integration's page)")
	}
	return b.String()
}

// codeHints say what Veriff's codes mean (when its answer has no message)
// and what to do about them.
var codeHints = map[string]struct{ what, do string }{
	"1801": {"X-AUTH-CLIENT is missing", "set VERIFF_API_KEY"},
	"1802": {"the API key is not a UUID", "copy it again from the integration's page"},
	"1803": {"no integration has this API key", "check VERIFF_API_KEY and VERIFF_API_URL"},
	"1804": {"the integration is not active", "activate it in the Customer Portal"},
	"1812": {"the signature is not a SHA-256 hex digest", "sign with HMAC-SHA256, hex"},
	"1818": {"the signature does not match", "check VERIFF_SHARED_SECRET"},
	"1819": {"the signature does not match the body", "check VERIFF_SHARED_SECRET"},
	"1102": {"a mandatory parameter is missing", ""},
	"1104": {"a parameter is invalid", "endUserId must be a UUID"},
	"1500": {"vendorData is too long", "1000 characters at most"},
	"1501": {"vendorData must be a string", ""},
}

// Client calls Veriff's API with an integration's keys.
type Client struct {
	BaseURL string // e.g. DefaultBaseURL; the API is under /v1
	APIKey  string // X-AUTH-CLIENT
	Secret  string // shared secret: signs the body
	HTTP    *http.Client
}

// NewClient returns a client with a bounded HTTP timeout.
func NewClient(baseURL, apiKey, secret string) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), APIKey: apiKey, Secret: secret,
		HTTP: &http.Client{Timeout: 20 * time.Second}}
}

// maxAnswer bounds what is read of Veriff's answer.
const maxAnswer = 1 << 20

// CreateSession creates a verification session: POST /v1/sessions with
// X-AUTH-CLIENT and X-HMAC-SIGNATURE over the exact body bytes sent.
func (c *Client) CreateSession(ctx context.Context, req SessionRequest) (Created, error) {
	body, err := webhook.Marshal(req)
	if err != nil {
		return Created{}, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/v1/sessions", bytes.NewReader(body))
	if err != nil {
		return Created{}, fmt.Errorf("bad Veriff API URL %q: %w", c.BaseURL, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set(ClientHeader, c.APIKey)
	hr.Header.Set(SignatureHeader, Sign(c.Secret, body))
	resp, err := c.HTTP.Do(hr)
	if err != nil {
		return Created{}, apiclient.NetError(c.BaseURL, "VERIFF_API_URL", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return Created{}, fmt.Errorf("reading Veriff's answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return Created{}, answerError(resp.StatusCode, answer)
	}
	var sr SessionResponse
	if err := json.Unmarshal(answer, &sr); err != nil || sr.Verification.ID == "" {
		return Created{}, fmt.Errorf("no session in the answer from Veriff (%d: %s)", resp.StatusCode, snippetOf(answer))
	}
	if sr.Verification.Host == "" {
		sr.Verification.Host = sr.Verification.BaseURL
	}
	return sr.Verification, nil
}

func answerError(status int, body []byte) error {
	e := &Error{HTTPStatus: status}
	var er ErrorResponse
	if json.Unmarshal(body, &er) == nil {
		if er.Code != nil {
			e.Code = strings.Trim(fmt.Sprint(er.Code), `"`)
		}
		e.Message = er.Message
	}
	if e.Message == "" && e.Code == "" {
		e.Message = snippetOf(body)
	}
	return e
}

// snippetOf is an answer's beginning for an error message, or "empty body".
func snippetOf(b []byte) string { return cmp.Or(apiclient.Snippet(b), "empty body") }
