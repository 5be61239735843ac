package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// TargetColumns are the columns of data/targets.csv, the targets the
// seed ships: each one read from a publisher file by the import
// profiles for targets (package ingest) and kept as printed.
var TargetColumns = []string{"area", "source", "kind", "kind_as_printed", "role", "gases", "sector", "boundary",
	"base_year", "base_value", "base_value_as_printed", "target_year", "percent", "level", "level_as_printed",
	"bau_value", "intensity_unit", "status", "status_as_printed", "status_year", "year_set", "achieved_percent",
	"report_year", "organisation", "source_url", "locator", "note"}

// TargetRecord is a target as one row of data/targets.csv: area and
// source by code.
func TargetRecord(t Target, areaSlug, sourceCode string) []string {
	i := func(v sql.NullInt64) string {
		if !v.Valid {
			return ""
		}
		return strconv.FormatInt(v.Int64, 10)
	}
	f := func(v sql.NullFloat64) string {
		if !v.Valid {
			return ""
		}
		return strconv.FormatFloat(v.Float64, 'f', -1, 64)
	}
	return []string{areaSlug, sourceCode, t.Kind, t.KindAsPrinted, t.Role, t.Gases, t.Sector, t.Boundary,
		i(t.BaseYear), f(t.BaseValue), t.BaseValueAsPrinted, i(t.TargetYear), f(t.Percent), f(t.Level), t.LevelAsPrinted,
		f(t.BAUValue), t.IntensityUnit, t.Status, t.StatusAsPrinted, i(t.StatusYear), i(t.YearSet), f(t.AchievedPercent),
		strconv.Itoa(t.ReportYear), t.Organisation, t.SourceURL, t.Locator, t.Note}
}

func (sd *seeder) seedContains(ctx context.Context) error {
	in, err := sd.replaceRows(ctx, "area_contains.csv", "area_contains")
	if err != nil {
		return err
	}
	for i, r := range in.rows {
		var big, small int64
		if err := sd.tx.GetContext(ctx, &big, `SELECT id FROM areas WHERE slug = ?`, r["area"]); err != nil {
			return in.errorf(i, "area %q: %w", r["area"], err)
		}
		if err := sd.tx.GetContext(ctx, &small, `SELECT id FROM areas WHERE slug = ?`, r["contains"]); err != nil {
			return in.errorf(i, "area %q: %w", r["contains"], err)
		}
		if _, err := sd.tx.ExecContext(ctx, `INSERT INTO area_contains (area_id, contains_id) VALUES (?, ?)`, big, small); err != nil {
			return in.wrap(i, err)
		}
	}
	return nil
}

// seedTargets loads data/targets.csv. Targets of earlier seeds give
// way to these; they stay stored, retired, and as they were for pages
// pinned to earlier versions.
func (sd *seeder) seedTargets(ctx context.Context, uploadID int64) (int, error) {
	in, err := readCSV(sd.fsys, "targets.csv")
	if err != nil {
		return 0, err
	}
	earlier := `t.upload_id IN (SELECT u.id FROM uploads u WHERE u.kind = 'seed' AND u.id <> ?)`
	if err := CloseTargets(ctx, sd.tx, earlier, uploadID); err != nil {
		return 0, err
	}
	if _, err := sd.tx.ExecContext(ctx, `UPDATE targets SET retired_by = ?
		WHERE retired_by IS NULL AND upload_id IN (SELECT id FROM uploads WHERE kind = 'seed' AND id <> ?)`, uploadID, uploadID); err != nil {
		return 0, err
	}
	n := 0
	for i, r := range in.rows {
		t, err := parseTargetRecord(r)
		if err != nil {
			return n, in.wrap(i, err)
		}
		if err := sd.tx.GetContext(ctx, &t.AreaID, `SELECT id FROM areas WHERE slug = ?`, r["area"]); err != nil {
			return n, in.errorf(i, "area %q: %w", r["area"], err)
		}
		if err := sd.tx.GetContext(ctx, &t.SourceID, `SELECT id FROM sources WHERE code = ?`, r["source"]); err != nil {
			return n, in.errorf(i, "source %q: %w", r["source"], err)
		}
		if _, err := InsertTarget(ctx, sd.tx, t, uploadID); err != nil {
			return n, in.wrap(i, err)
		}
		n++
	}
	return n, nil
}

func parseTargetRecord(r map[string]string) (Target, error) {
	var t Target
	var err error
	num := func(col string) sql.NullFloat64 {
		s := r[col]
		if s == "" || err != nil {
			return sql.NullFloat64{}
		}
		v, e := strconv.ParseFloat(s, 64)
		if e != nil {
			err = fmt.Errorf("%s %q is not a number", col, s)
			return sql.NullFloat64{}
		}
		return sql.NullFloat64{Float64: v, Valid: true}
	}
	year := func(col string) sql.NullInt64 {
		s := r[col]
		if s == "" || err != nil {
			return sql.NullInt64{}
		}
		v, e := strconv.Atoi(s)
		if e != nil {
			err = fmt.Errorf("%s %q is not a year", col, s)
			return sql.NullInt64{}
		}
		return sql.NullInt64{Int64: int64(v), Valid: true}
	}
	t.Kind, t.KindAsPrinted, t.Role = r["kind"], r["kind_as_printed"], r["role"]
	t.Gases, t.Sector, t.Boundary = r["gases"], r["sector"], r["boundary"]
	t.BaseYear, t.BaseValue, t.BaseValueAsPrinted = year("base_year"), num("base_value"), r["base_value_as_printed"]
	t.TargetYear, t.Percent, t.Level, t.LevelAsPrinted = year("target_year"), num("percent"), num("level"), r["level_as_printed"]
	t.BAUValue, t.IntensityUnit = num("bau_value"), r["intensity_unit"]
	t.Status, t.StatusAsPrinted, t.StatusYear = r["status"], r["status_as_printed"], year("status_year")
	t.YearSet, t.AchievedPercent = year("year_set"), num("achieved_percent")
	ry := year("report_year")
	t.ReportYear = int(ry.Int64)
	t.Organisation, t.SourceURL, t.Locator, t.Note = r["organisation"], r["source_url"], r["locator"], r["note"]
	if err != nil {
		return t, err
	}
	if !ry.Valid {
		return t, fmt.Errorf("report_year is required")
	}
	if !validKind(t.Kind) {
		return t, fmt.Errorf("kind %q is not one of %s", t.Kind, strings.Join(TargetKinds, ", "))
	}
	return t, nil
}

func validKind(k string) bool {
	for _, v := range TargetKinds {
		if v == k {
			return true
		}
	}
	return false
}
