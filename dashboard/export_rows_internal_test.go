package dashboard

import (
	"strings"
	"testing"
)

func TestGuardFormula(t *testing.T) {
	cases := map[string]string{
		"=1+2":           "'=1+2",
		"+41 22 791 21":  "'+41 22 791 21",
		"-2+3":           "'-2+3",
		"@SUM(A1)":       "'@SUM(A1)",
		"\tx":            "'\tx",
		"\rx":            "'\rx",
		"'quoted":        "''quoted",
		"-34.92866":      "-34.92866",
		"+5":             "+5",
		"1e-3":           "1e-3",
		"-1.5E+06":       "-1.5E+06",
		"-":              "'-",
		"-.5":            "'-.5",
		"Not Applicable": "Not Applicable",
		"":               "",
	}
	for in, want := range cases {
		got := guardFormula(in)
		if got != want {
			t.Errorf("guardFormula(%q) = %q, want %q", in, got, want)
		}
		// Removing one leading apostrophe restores the text.
		if back := strings.TrimPrefix(got, "'"); back != in {
			t.Errorf("%q does not come back from %q (got %q)", in, got, back)
		}
	}
	rec := string(appendCSVRecord(nil, []string{"a,b", `say "hi"`, "=cmd", "line\nbreak"}))
	if want := "\"a,b\",\"say \"\"hi\"\"\",'=cmd,\"line\nbreak\"\r\n"; rec != want {
		t.Errorf("record %q, want %q", rec, want)
	}
}
