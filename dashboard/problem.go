package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Problem is an RFC 9457 problem document: what the API and the
// download endpoints answer when a request cannot be served.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// InvalidParams names each bad parameter and says what is wrong.
	InvalidParams []InvalidParam `json:"invalid_params,omitempty"`
}

// InvalidParam is one bad query parameter.
type InvalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
	// msg and args word Reason for a page in the reader's language: a
	// message key and its placeholder pairs. Empty: the page shows Reason.
	msg  string
	args []any
}

// localReason is the reason in the reader's language, where a message
// says it.
func (ip InvalidParam) localReason(loc Locale) string {
	if ip.msg == "" {
		return ip.Reason
	}
	return loc.T(ip.msg, ip.args...)
}

// Problem types, documented on the download centre page.
const (
	problemInvalidParam = "/data#problem-invalid-parameter"
	problemNotFound     = "/data#problem-not-found"
	problemTooLarge     = "/data#problem-too-large"
)

func (p *Problem) Error() string {
	var names []string
	for _, ip := range p.InvalidParams {
		names = append(names, ip.Name)
	}
	return fmt.Sprintf("%d %s %s", p.Status, p.Title, strings.Join(names, ","))
}

// badParam is the problem of one bad query parameter.
func badParam(name, reason string) *Problem {
	return &Problem{
		Type:          problemInvalidParam,
		Title:         "Invalid query parameter",
		Status:        http.StatusBadRequest,
		Detail:        "The parameter " + name + " is not valid: " + reason,
		InvalidParams: []InvalidParam{{Name: name, Reason: reason}},
	}
}

// writeProblem sends p as application/problem+json. Its type is made
// absolute with the public base address: a problem document read
// elsewhere still points at its explanation.
func writeProblem(c echo.Context, base string, p *Problem) error {
	if strings.HasPrefix(p.Type, "/") {
		p.Type = base + p.Type
	}
	if p.Instance == "" {
		p.Instance = c.Request().URL.RequestURI()
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(p.Status, "application/problem+json", b)
}

// isMachinePath reports whether errors on the path are answered as
// problem documents rather than pages.
func isMachinePath(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/data/download")
}
