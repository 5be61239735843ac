package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/twinmetrics/twinmetrics/ingest"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// FuzzUploadCheck feeds arbitrary bytes to the upload check (format
// sniffing, CSV and XLSX parsing, every row rule). It must never panic
// or fail unexpectedly, must report either a file error or consistent
// counts, and must leave the published data alone. The seed corpus is
// in testdata/fuzz/FuzzUploadCheck (the bad-file corpus, cut short).
func FuzzUploadCheck(f *testing.F) {
	f.Add([]byte("city,indicator,year,value,unit,source\nKosice,pm25_annual_mean,2031,1.5,µg/m3,who_aaq_2022_v2022\n"))
	f.Add([]byte("\ufeffcity;indicator;year;value;unit;source\nHà Nội;pm25_annual_mean;2019;52,5;ug/m3;who_aaq_2022_v2022\n"))
	app := testapp.New(f, testapp.Options{Limits: ingest.Limits{MaxBytes: 1 << 20, MaxRows: 1000, MaxLineBytes: 4096}})
	ctx := context.Background()
	user, err := app.Store.AddUser(ctx, "fuzz@example.org", metrics.RoleEditor, "a long enough password", testapp.Fixed)
	if err != nil {
		f.Fatal(err)
	}
	dv, err := app.Store.DataVersion(ctx)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := app.Uploads.Receive(ctx, bytes.NewReader(data), "fuzz.csv", user)
		var fe *ingest.FileError
		if errors.As(err, &fe) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		defer app.Uploads.Discard(p.Key, metrics.User{Email: "fuzz@example.org"})
		p, err = app.Uploads.Check(ctx, p.Key)
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		switch {
		case p.FileError != nil:
			if p.FileError.Message.IsZero() || p.FileError.Hint.IsZero() {
				t.Fatalf("file error without message or hint: %+v", p.FileError)
			}
		case p.State == ingest.StateReady:
			c := p.Counts
			if c.Total != c.New+c.Changed+c.Unchanged+c.Rejected || c.Total == 0 {
				t.Fatalf("counts do not add up: %+v", c)
			}
			rows, total, err := app.Uploads.Rows(ctx, p.Key, ingest.RowRejected, false, 0, 50)
			if err != nil || total != c.Rejected {
				t.Fatalf("rejected rows: %d of %d, %v", total, c.Rejected, err)
			}
			for _, r := range rows {
				if len(r.Problems) == 0 {
					t.Fatalf("line %d rejected without a reason", r.Line)
				}
			}
		default:
			t.Fatalf("state %q after a check", p.State)
		}
		if v, err := app.Store.DataVersion(ctx); err != nil || v != dv {
			t.Fatalf("a check changed the data (version %d, was %d; %v)", v, dv, err)
		}
	})
}
