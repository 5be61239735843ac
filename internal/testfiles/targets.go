package testfiles

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// MilanTargetMoved is CDP's 2017 targets file (its bytes as published)
// with the target date of Milan's row moved from 2020 to 2025: a test
// value for a temporary database, not Milan's commitment.
func MilanTargetMoved(t testing.TB, published []byte) []byte {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(published)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	org, date := -1, -1
	for i, h := range recs[0] {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case "Organisation":
			org = i
		case "Target date":
			date = i
		}
	}
	moved := 0
	for _, r := range recs[1:] {
		if org >= 0 && date >= 0 && r[org] == "Comune di Milano" && r[date] == "2020" {
			r[date] = "2025"
			moved++
		}
	}
	if org < 0 || date < 0 || moved != 1 {
		t.Fatalf("the 2017 file should hold one row of Milan with target date 2020 (columns %d, %d; %d rows)", org, date, moved)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
