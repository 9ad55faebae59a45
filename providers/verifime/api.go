// VerifiMe's onboarding API: the invite that starts a session and the
// tracking status of its data entry (phase 1). Its shapes are shared with
// kycwatch's VerifiMe simulator.

package verifime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/providers/internal/apiclient"
)

// DefaultBaseURL is VerifiMe's documented staging host.
const DefaultBaseURL = "https://api.stage.verifime.com"

// InviteRequest is the body of POST /v1/user/invite.
type InviteRequest struct {
	Email               string          `json:"email"`
	Code                string          `json:"code"`          // the organisation code
	ReferenceData       string          `json:"referenceData"` // comes back as the webhook's metadata
	CustomerContext     CustomerContext `json:"customerContext"`
	SendInvitationEmail bool            `json:"sendInvitationEmail"`
}

// CustomerContext is what the integrator already knows of the customer.
type CustomerContext struct {
	FirstName  string `json:"firstName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// Invite is the answer: where the customer goes, and what to track.
type Invite struct {
	TrackingReference string `json:"trackingReference"`
	InviteURL         string `json:"inviteUrl"`
	QRCodeURL         string `json:"qrCodeUrl,omitempty"`
}

// ValidationResult is one complaint in VerifiMe's error answer.
type ValidationResult struct {
	Name       string `json:"name"`
	ResultName string `json:"resultName"`
	Message    string `json:"message"`
}

// Error is an answer other than success.
type Error struct {
	HTTPStatus int
	Results    []ValidationResult
	Body       string // when the answer had no validationResults
}

func (e *Error) Error() string {
	if len(e.Results) == 0 {
		if e.Body != "" {
			return fmt.Sprintf("VerifiMe answered %d: %s", e.HTTPStatus, e.Body)
		}
		return fmt.Sprintf("VerifiMe answered %d", e.HTTPStatus)
	}
	var parts []string
	for _, r := range e.Results {
		p := r.Message
		if r.Name != "" {
			p = r.Name + ": " + p
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("VerifiMe refused the invite (%d): %s", e.HTTPStatus, strings.Join(parts, "; "))
}

// Client calls VerifiMe's API (the invite and tracking calls need no
// authentication).
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// NewClient returns a client with a bounded timeout.
func NewClient(baseURL string) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 20 * time.Second}}
}

const maxAnswer = 1 << 20

// Invite creates an invitation: POST /v1/user/invite.
func (c *Client) Invite(ctx context.Context, req InviteRequest) (Invite, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Invite{}, err
	}
	status, answer, err := c.do(ctx, http.MethodPost, "/v1/user/invite", body)
	if err != nil {
		return Invite{}, err
	}
	if status < 200 || status > 299 {
		return Invite{}, answerError(status, answer)
	}
	var inv Invite
	if err := json.Unmarshal(answer, &inv); err != nil || inv.TrackingReference == "" {
		return Invite{}, fmt.Errorf("VerifiMe answered %d without a tracking reference (%s)", status, apiclient.Snippet(answer))
	}
	return inv, nil
}

// TrackingStatus asks how far the customer's data entry is:
// GET /v1/user/signup/tracking/{ref}/status. The public documentation
// shows the values, not the body: status is read from a "status" field
// (or a bare JSON string); raw is the answer as it came, for the UI to
// show when there is no such field.
func (c *Client) TrackingStatus(ctx context.Context, ref string) (status, raw string, err error) {
	code, answer, err := c.do(ctx, http.MethodGet, "/v1/user/signup/tracking/"+url.PathEscape(ref)+"/status", nil)
	if err != nil {
		return "", "", err
	}
	raw = apiclient.Snippet(answer)
	if code < 200 || code > 299 {
		return "", raw, answerError(code, answer)
	}
	return ParseStatus(answer), raw, nil
}

// ParseStatus finds the tracking status in an answer: {"status":"Active"}
// or "Active"; "" when neither.
func ParseStatus(answer []byte) string {
	var obj struct {
		Status *string `json:"status"`
	}
	if json.Unmarshal(answer, &obj) == nil && obj.Status != nil {
		return *obj.Status
	}
	var s string
	if json.Unmarshal(answer, &s) == nil {
		return s
	}
	return ""
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("VerifiMe API URL %q: %w", c.BaseURL, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, apiclient.NetError(c.BaseURL, "VERIFIME_API_URL", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, nil, fmt.Errorf("reading VerifiMe's answer: %w", err)
	}
	return resp.StatusCode, answer, nil
}

func answerError(status int, body []byte) error {
	e := &Error{HTTPStatus: status}
	var er struct {
		ValidationResults []ValidationResult `json:"validationResults"`
	}
	if json.Unmarshal(body, &er) == nil && len(er.ValidationResults) > 0 {
		e.Results = er.ValidationResults
	} else {
		e.Body = apiclient.Snippet(body)
	}
	return e
}
