package dashboard_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestUploadsAPIAnswersItsSchema drives the uploads API as a script does
// and checks every answer against the OpenAPI document: upload, page,
// publish, roll back, discard (DELETE and POST), the refusals.
func TestUploadsAPIAnswersItsSchema(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	_, body, _ := get(t, a.Handler, "/api/v1/openapi.json")
	var doc openAPI
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	check := func(what string, code int, out map[string]any, path, method string, wantCode int) {
		t.Helper()
		if code != wantCode {
			t.Fatalf("%s: %d, want %d: %v", what, code, wantCode, out)
		}
		op, ok := doc.Paths[path][method]
		if !ok {
			t.Fatalf("%s: %s %s is not documented", what, method, path)
		}
		if len(op.Security) == 0 {
			t.Errorf("%s %s: no security requirement", method, path)
		}
		resp, ok := op.Responses[strconv.Itoa(code)]
		if !ok {
			t.Fatalf("%s: %d is not documented for %s %s", what, code, method, path)
		}
		schema := resp.Content["application/json"].Schema
		if resp.Ref != "" {
			schema = map[string]any{"$ref": "#/components/schemas/Problem"}
		}
		if schema == nil {
			schema = resp.Content["application/problem+json"].Schema
		}
		if schema == nil {
			return
		}
		if oneOf, ok := schema["anyOf"].([]any); ok {
			schema = oneOf[0].(map[string]any)
			if _, failed := out["id"]; failed {
				schema = oneOf[1].(map[string]any)
			}
		}
		for _, e := range doc.checkSchema(what, schema, out) {
			t.Error(e)
		}
	}
	good := []byte("city,indicator,year,value,unit,source\nhanoi,pm25_annual_mean,2031,40.5,ug/m3,who_aaq_2022_v2022\nmilan,pm25_annual_mean,2031,abc,ug/m3,who_aaq_2022_v2022\n")
	code, out := a.apiUpload(t, "api.csv", good)
	check("upload", code, out, "/api/v1/uploads", "post", http.StatusCreated)
	id, _ := out["id"].(string)
	rows, _ := out["rows"].([]any)
	if id == "" || len(rows) != 1 || rows[0].(map[string]any)["status"] != "rejected" {
		t.Fatalf("preview: id %q, rows %v (want the one rejected row first)", id, rows)
	}
	code, out = a.apiGet(t, "/api/v1/uploads/"+id+"?status=new")
	check("page", code, out, "/api/v1/uploads/{id}", "get", http.StatusOK)
	code, out = a.apiPost(t, "/api/v1/uploads/"+id+"/publish", nil)
	check("publish with a rejected row", code, out, "/api/v1/uploads/{id}/publish", "post", http.StatusConflict)
	code, out = a.apiPost(t, "/api/v1/uploads/"+id+"/publish", url.Values{"allow_rejected": {"1"}, "confirm_warnings": {"1"}})
	check("publish", code, out, "/api/v1/uploads/{id}/publish", "post", http.StatusOK)
	upload := out["upload_id"]
	code, out = a.apiPost(t, "/api/v1/uploads/"+jsonNumber(upload)+"/rollback", nil)
	check("rollback", code, out, "/api/v1/uploads/{id}/rollback", "post", http.StatusOK)

	// Discard, by DELETE and by POST; a discarded upload is gone.
	for _, how := range []string{"DELETE", "POST"} {
		code, out = a.apiUpload(t, "discard.csv", good)
		check("upload", code, out, "/api/v1/uploads", "post", http.StatusCreated)
		id := out["id"].(string)
		path := "/api/v1/uploads/" + id
		if how == "POST" {
			path += "/discard"
		}
		req, _ := http.NewRequest(how, a.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+a.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Errorf("%s %s: %d, want 204", how, path, res.StatusCode)
		}
		code, out = a.apiGet(t, "/api/v1/uploads/"+id)
		// A discard leaves a trace: the upload says who discarded it.
		check("a discarded upload", code, out, "/api/v1/uploads/{id}", "get", http.StatusOK)
		if out["state"] != "discarded" || out["discarded_by"] == nil {
			t.Errorf("a discarded upload: state %v, discarded by %v", out["state"], out["discarded_by"])
		}
	}
	// Without a token: 401, a problem document.
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/api/v1/uploads/abc", nil)
	code, out = a.apiDo(t, req)
	check("no token", code, out, "/api/v1/uploads/{id}", "get", http.StatusUnauthorized)
	if ty, _ := out["type"].(string); ty != "about:blank" && (len(ty) < 7 || ty[:7] != "http://") {
		t.Errorf("problem type %q is not absolute", ty)
	}
}

// apiGet sends a GET with the editor's token.
func (a *staffApp) apiGet(t testing.TB, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	return a.apiDo(t, req)
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
