package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/locale"
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
	Name string `json:"name"`
	// Reason says what is wrong, in English for the API.
	Reason string `json:"reason"`
	// Message says it in any language, for the download centre page.
	Message locale.Message `json:"-"`
}

func invalidParam(name string, reason locale.Message) InvalidParam {
	return InvalidParam{Name: name, Reason: locale.English(reason), Message: reason}
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
func badParam(name string, reason locale.Message) *Problem {
	return &Problem{
		Type:          problemInvalidParam,
		Title:         locale.English(titleInvalidParam.With()),
		Status:        http.StatusBadRequest,
		Detail:        locale.English(detailInvalidParam.With(name, reason)),
		InvalidParams: []InvalidParam{invalidParam(name, reason)},
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
