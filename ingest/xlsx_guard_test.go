package ingest

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testfiles"
)

// TestBombIsRealZeros: the test bombs inflate to what they declare, as
// the attack's did (otherwise the guard would be tested on a lie).
func TestBombIsRealZeros(t *testing.T) {
	b := testfiles.Bomb(t, testfiles.Workbook(t), "xl/media/zeros.bin", 20)
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != "xl/media/zeros.bin" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != 20<<20 {
			t.Fatalf("the bomb part inflates to %d bytes (%v), want 20 MiB", n, err)
		}
		if len(b) > 40<<10 {
			t.Errorf("the 20 MiB bomb is %d bytes", len(b))
		}
		return
	}
	t.Fatal("no bomb part")
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.xlsx")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestXLSXArchiveGuard: the central directory check refuses what the
// attack sent (a valid workbook plus 1,000 MiB of zeros, the zeros as
// the data sheet), a workbook of too many parts, and lets a real
// workbook through.
func TestXLSXArchiveGuard(t *testing.T) {
	wb := testfiles.Workbook(t, []any{"Hà Nội", "pm25_annual_mean", 2025, 40.1, "ug/m3", "who_aaq_2022_v2022"})
	many := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i := range maxXLSXParts + 5 {
			w, _ := zw.Create("xl/part" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + ".xml" + strings.Repeat("/", 0) + "/" + itoa(i))
			w.Write([]byte("<x/>"))
		}
		zw.Close()
		return buf.Bytes()
	}()
	cases := []struct {
		name string
		file []byte
		key  string
	}{
		{"a workbook", wb, ""},
		{"1000 MiB of zeros beside the sheet", testfiles.Bomb(t, wb, "xl/media/zeros.bin", 1000), "xlsx_ratio"},
		{"1000 MiB of zeros as the sheet", testfiles.Bomb(t, wb, "xl/worksheets/sheet1.xml", 1000), "xlsx_ratio"},
		{"too many parts", many, "xlsx_parts"},
	}
	for _, tc := range cases {
		fe, err := checkXLSXArchive(writeTemp(t, tc.file), DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := ""
		if fe != nil {
			got = strings.TrimPrefix(fe.Message.Key, "upload.file.")
			if fe.Code != "too_large" || fe.Hint.IsZero() {
				t.Errorf("%s: %+v", tc.name, fe)
			}
		}
		if got != tc.key {
			t.Errorf("%s: refused as %q (%v), want %q", tc.name, got, fe, tc.key)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}
