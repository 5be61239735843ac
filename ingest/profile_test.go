package ingest

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/data"
)

const minimalProfile = `{
  "format_version": 1, "name": "test-long", "version": 1, "title": "Test layout",
  "read": {"format": "csv"},
  "recognise": {"columns": ["Place", "Yr", "Val"]},
  "layout": {"kind": "long"},
  "area": {"columns": ["Place"]},
  "year": {"column": "Yr"},
  "indicator": {"constant": "population"},
  "value": {"column": "Val"},
  "unit": {"constant": "persons"},
  "source": {"code": "un_wup_2018_f12"}
}`

func TestShippedProfilesParse(t *testing.T) {
	ps, err := LoadProfiles(data.Profiles, "profiles")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 {
		t.Fatal("no shipped profiles")
	}
}

// edit applies a change to the minimal profile's JSON object.
func edit(t *testing.T, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(minimalProfile), &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	b, _ := json.Marshal(m)
	return b
}

func TestParseProfileErrorsNameTheKey(t *testing.T) {
	if _, err := ParseProfile([]byte(minimalProfile)); err != nil {
		t.Fatalf("the minimal profile is refused: %v", err)
	}
	cases := []struct {
		name    string
		profile []byte
		key     string
		says    string
	}{
		{"unknown top-level key", edit(t, func(m map[string]any) { m["titel"] = "x" }), "titel", "did you mean title?"},
		{"unknown nested key", edit(t, func(m map[string]any) { m["read"].(map[string]any)["sheeet"] = "data" }), "read.sheeet", "did you mean sheet?"},
		{"unknown key in a list item", edit(t, func(m map[string]any) {
			m["filters"] = []any{map[string]any{"column": "Place", "drop": []any{"World"}, "reason": "aggregate", "why": "x"}}
		}), "filters[0].why", "unknown key"},
		{"wrong type: string for number", edit(t, func(m map[string]any) { m["read"].(map[string]any)["header_line"] = "3" }), "read.header_line", "expected a whole number, found the string \"3\""},
		{"wrong type: number for column", edit(t, func(m map[string]any) { m["value"].(map[string]any)["column"] = 7 }), "value.column", "expected a column name"},
		{"wrong type: object for list", edit(t, func(m map[string]any) { m["area"].(map[string]any)["columns"] = map[string]any{} }), "area.columns", "expected a list"},
		{"missing title", edit(t, func(m map[string]any) { delete(m, "title") }), "title", "is required"},
		{"bad layout kind", edit(t, func(m map[string]any) { m["layout"].(map[string]any)["kind"] = "tall" }), "layout.kind", "must be long"},
		{"xlsx without sheet", edit(t, func(m map[string]any) { m["read"].(map[string]any)["format"] = "xlsx" }), "read.sheet", "is required for a workbook"},
		{"fiscal range without rule", edit(t, func(m map[string]any) { m["year"].(map[string]any)["parse"] = "fiscal_range" }), "year.fiscal_rule", "is required with fiscal_range"},
		{"format version", edit(t, func(m map[string]any) { m["format_version"] = 2 }), "format_version", "must be 1"},
		{"bad marker", edit(t, func(m map[string]any) {
			m["value"].(map[string]any)["converted_marker"] = "converted"
			m["value"].(map[string]any)["converted_flag"] = "converted"
		}), "value.converted_marker", "needs a group"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseProfile(c.profile)
			var pes ProfileErrors
			if !errors.As(err, &pes) {
				t.Fatalf("err = %v, want ProfileErrors", err)
			}
			for _, pe := range pes {
				if pe.Key == c.key && strings.Contains(pe.Message, c.says) {
					return
				}
			}
			t.Errorf("errors %q do not name key %s with %q", err, c.key, c.says)
		})
	}
	if _, err := ParseProfile([]byte(`{"format_version": 1,`)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("broken JSON: %v", err)
	}
}

// A profile's problems come in the same order every time: the entries
// of a map by key, as an object's fields.
func TestParseProfileErrorsInKeyOrder(t *testing.T) {
	p := edit(t, func(m map[string]any) {
		m["area"].(map[string]any)["codes"] = map[string]any{"zz": 1, "aa": true, "mm": []any{}, "bb": 2.5, "yy": nil}
	})
	var want []string
	for i := 0; i < 20; i++ {
		_, err := ParseProfile(p)
		var pes ProfileErrors
		if !errors.As(err, &pes) {
			t.Fatalf("err = %v, want ProfileErrors", err)
		}
		var keys []string
		for _, pe := range pes {
			keys = append(keys, pe.Key)
		}
		if i == 0 {
			want = keys
			if strings.Join(keys, " ") != `area.codes["aa"] area.codes["bb"] area.codes["mm"] area.codes["yy"] area.codes["zz"]` {
				t.Fatalf("problems at %q, want the five codes in key order", keys)
			}
		} else if !slices.Equal(keys, want) {
			t.Fatalf("second reading lists %q, first %q", keys, want)
		}
	}
}

// The JSON Schema served to profile authors names exactly the keys the
// loader accepts.
func TestProfileSchemaMatchesTypes(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(ProfileSchema, &schema); err != nil {
		t.Fatal(err)
	}
	defs := schema["$defs"].(map[string]any)
	var walk func(path string, node map[string]any, typ reflect.Type)
	walk = func(path string, node map[string]any, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice && typ != reflect.TypeOf(Column{}) {
			typ = typ.Elem()
			if items, ok := node["items"].(map[string]any); ok {
				node = items
			}
		}
		if ref, ok := node["$ref"].(string); ok {
			node = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		if typ.Kind() != reflect.Struct {
			return
		}
		props, _ := node["properties"].(map[string]any)
		var fromType, fromSchema []string
		for i := 0; i < typ.NumField(); i++ {
			n, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			fromType = append(fromType, n)
			sub, ok := props[n].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: in the Go type, not in the schema", path, n)
				continue
			}
			walk(path+"."+n, sub, typ.Field(i).Type)
		}
		for k := range props {
			fromSchema = append(fromSchema, k)
		}
		sort.Strings(fromType)
		sort.Strings(fromSchema)
		if !reflect.DeepEqual(fromType, fromSchema) {
			t.Errorf("%s: type keys %v, schema keys %v", path, fromType, fromSchema)
		}
		if node["additionalProperties"] != false {
			t.Errorf("%s: the schema allows unknown keys", path)
		}
	}
	walk("profile", schema, reflect.TypeOf(Profile{}))
}
