package synth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// CopyOptions say how many synthetic cities Copy should leave.
type CopyOptions struct {
	Cities int
	// Progress, if set, hears after each copy of the loaded cities.
	Progress func(done, total, values int)
}

// Copy grows a database of synthetic cities loaded by Load to
// o.Cities by SQL, past the size where loading each city through the
// upload pipeline takes longer than a benchmark can wait (the issue
// built its 5.4M-value database the same way). The new cities are added
// through the catalogue like Load's; their values, stored and derived,
// are those of the loaded cities, copied in turn (city k gets the
// values of city (k-1) mod loaded + 1) as one recorded upload per
// copy, with the headline choice (hidden) and the kept series figures
// (series_stats) copied beside them. Every copied value stays under the
// synthetic source. It returns how many values it added.
func Copy(ctx context.Context, store *metrics.Store, o CopyOptions) (int, error) {
	cat, err := store.Catalogue(ctx)
	if err != nil {
		return 0, err
	}
	loaded := Existing(cat)
	if loaded == 0 {
		return 0, errors.New("synth: copy needs synthetic cities loaded first (synth --cities N)")
	}
	for i := loaded + 1; i <= o.Cities; i++ {
		if err := store.SaveCity(ctx, metrics.CityInput{Slug: Slug(i), Name: fmt.Sprintf("Synthetic city %05d", i), CountryISO3: Country,
			Kind: metrics.KindCity, Boundary: "synthetic: not a real place"}, Email); err != nil {
			return 0, fmt.Errorf("synth: city %d: %w", i, err)
		}
	}
	w := store.DB().W
	// Every column of observations, so that columns added by later
	// migrations are copied too.
	probe, err := w.QueryContext(ctx, `SELECT * FROM observations WHERE id = 0`)
	if err != nil {
		return 0, err
	}
	cols, err := probe.Columns()
	probe.Close()
	if err != nil {
		return 0, err
	}
	total := 0
	for first := loaded + 1; first <= o.Cities; first += loaded {
		last := min(first+loaded-1, o.Cities)
		n, err := copyCities(ctx, store, cols, first, last, loaded)
		if err != nil {
			return total, err
		}
		total += n
		if o.Progress != nil {
			o.Progress(last-loaded, o.Cities-loaded, total)
		}
	}
	return total, nil
}

// copyCities gives cities first..last the values of cities 1..loaded
// in one transaction. Copied rows take ids shifted by the largest id, so
// that a derived value's numerator and denominator shift with it.
func copyCities(ctx context.Context, store *metrics.Store, cols []string, first, last, loaded int) (int, error) {
	tx, err := store.DB().W.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var shift int64
	if err := tx.GetContext(ctx, &shift, `SELECT COALESCE(MAX(id), 0) FROM observations`); err != nil {
		return 0, err
	}
	now := metrics.Timestamp(time.Now())
	var upload int64
	if err := tx.GetContext(ctx, &upload, `INSERT INTO uploads (kind, file_name, sha256, format, uploaded_by, created_at, published_at, status, published_by)
		VALUES ('file', ?, 'synthetic copy', 'sql', ?, ?, ?, 'published', ?) RETURNING id`,
		fmt.Sprintf("synthetic-%05d-%05d (copy by SQL)", first, last), Email, now, now, Email); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS synth_copy (src INTEGER PRIMARY KEY, dst INTEGER NOT NULL)`); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM synth_copy`); err != nil {
		return 0, err
	}
	for k := first; k <= last; k++ {
		if _, err := tx.ExecContext(ctx, `INSERT INTO synth_copy (src, dst)
			SELECT s.id, d.id FROM areas s, areas d WHERE s.slug = ? AND d.slug = ?`, Slug((k-1)%loaded+1), Slug(k)); err != nil {
			return 0, err
		}
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		switch c {
		case "id":
			sel[i] = "o.id + CAST(:shift AS INTEGER)"
		case "area_id":
			sel[i] = "m.dst"
		case "upload_id":
			sel[i] = "CAST(:upload AS INTEGER)"
		case "numerator_id", "denominator_id":
			sel[i] = "o." + c + " + CAST(:shift AS INTEGER)"
		default:
			sel[i] = "o." + c
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO observations (`+strings.Join(cols, ", ")+`)
		SELECT `+strings.Join(sel, ", ")+`
		FROM observations o JOIN synth_copy m ON m.src = o.area_id
		WHERE o.retired_by IS NULL ORDER BY o.id`,
		sql.Named("shift", shift), sql.Named("upload", upload))
	if err != nil {
		return 0, fmt.Errorf("synth: copy values: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `INSERT INTO series_stats (area_id, indicator_id, n_values, n_stored, n_shown, first_year, last_year, latest_id, latest_value)
		SELECT m.dst, s.indicator_id, s.n_values, s.n_stored, s.n_shown, s.first_year, s.last_year, s.latest_id + CAST(:shift AS INTEGER), s.latest_value
		FROM series_stats s JOIN synth_copy m ON m.src = s.area_id`, sql.Named("shift", shift)); err != nil {
		return 0, fmt.Errorf("synth: copy series: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'`); err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}
