package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/synth"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// synthCommand fills a database with clearly synthetic cities and
// values through the upload pipeline, for measuring the application at
// a national deployment's size. It is meant for a throw-away database.
func synthCommand(ctx context.Context, st settings, store *metrics.Store, up *ingest.Uploader, stdout io.Writer) error {
	if st.cities <= 0 && st.copyTo <= 0 {
		return errors.New("usage: twinmetrics synth --cities N [--years 20] [--cities-per-file 100] [--copy-to M] -db FILE (a throw-away database: the cities and values are synthetic)")
	}
	dir, err := os.MkdirTemp("", "twinmetrics-synth-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	if st.cities > 0 {
		fmt.Fprintf(stdout, "Adding synthetic cities up to %d to %s (source %q: %s).\n", st.cities, st.db, synth.SourceCode, synth.SourceTitle)
		n, err := synth.Load(ctx, store, up, synth.Options{Cities: st.cities, Years: st.years, LastYear: 2024, CitiesPerFile: st.perFile, Dir: dir,
			Progress: func(done, total, values int) {
				fmt.Fprintf(stdout, "  %d/%d cities, %d values published (%s)\n", done, total, values, time.Since(start).Round(time.Millisecond))
			}})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Published %d synthetic values in %s.\n", n, time.Since(start).Round(time.Millisecond))
	}
	if st.copyTo > 0 {
		fmt.Fprintf(stdout, "Copying the synthetic cities' values by SQL up to %d cities in %s.\n", st.copyTo, st.db)
		n, err := synth.Copy(ctx, store, synth.CopyOptions{Cities: st.copyTo, Progress: func(done, total, values int) {
			fmt.Fprintf(stdout, "  %d/%d cities copied, %d values (%s)\n", done, total, values, time.Since(start).Round(time.Millisecond))
		}})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Copied %d synthetic values in %s.\n", n, time.Since(start).Round(time.Millisecond))
	}
	return nil
}
