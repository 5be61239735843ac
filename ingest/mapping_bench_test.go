package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// The mapping step's preview reads the first rows of a file, not the
// whole of it: on a 50,000-row file it should cost a small fraction of
// checking the file with the saved profile. Test values, not figures
// about these cities.
func mappingBenchFile(rows int) []byte {
	var b bytes.Buffer
	b.WriteString("Air monitoring summary;;;;\nStation;Town;Measured in;PM2.5 annual;Remark\n")
	towns := []string{"Ha Noi", "Milano", "Kosice", "TP.HCM"}
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&b, "S%d;%s;%d;%d,%d;\n", i, towns[i%len(towns)], 1950+i%70, 10+i%50, i%10)
	}
	return b.Bytes()
}

var benchMapping = ingest.Mapping{HeaderLine: 2, Roles: []string{"ignore", "area", "year", "value", "note"},
	Indicator: "pm25_annual_mean", Source: "who_aaq_2022_v2022"}

func benchUpload(b *testing.B) (*testapp.App, *ingest.Pending) {
	app := testapp.New(b, testapp.Options{})
	u, err := app.Store.AddUser(context.Background(), "bench@example.org", metrics.RoleAdmin, "a long enough password", testapp.Fixed)
	if err != nil {
		b.Fatal(err)
	}
	p, err := app.Uploads.Receive(context.Background(), bytes.NewReader(mappingBenchFile(50_000)), "office.csv", u)
	if err != nil {
		b.Fatal(err)
	}
	return app, p
}

func BenchmarkMappingPreview(b *testing.B) {
	app, p := benchUpload(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, rows, merr, err := app.Uploads.PreviewMapping(ctx, p.Key, benchMapping, 20); err != nil || merr != nil || len(rows) != 20 {
			b.Fatal(err, merr, len(rows))
		}
	}
}

// BenchmarkMappingFullCheck is the baseline: the whole file checked
// with the profile the mapping saves.
func BenchmarkMappingFullCheck(b *testing.B) {
	app, p := benchUpload(b)
	ctx := context.Background()
	s, err := app.Uploads.SampleOf(p.Key, "", 100)
	if err != nil {
		b.Fatal(err)
	}
	cat, err := app.Store.Catalogue(ctx)
	if err != nil {
		b.Fatal(err)
	}
	body, err := benchMapping.ProfileOf("office-bench", "Office bench", s, cat)
	if err != nil {
		b.Fatal(err)
	}
	u, _ := app.Store.UserByEmail(ctx, "bench@example.org")
	if _, err := app.Store.SaveImportProfile(ctx, metrics.ProfileInput{Name: "office-bench", Title: "Office bench", Body: body}, u, testapp.Fixed); err != nil {
		b.Fatal(err)
	}
	if err := app.Uploads.UseProfile(ctx, p.Key, "office-bench"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pend, err := app.Uploads.Check(ctx, p.Key)
		if err != nil || pend.Counts.Total != 50_000 {
			b.Fatal(err, pend.Counts, pend.FileError)
		}
	}
}
