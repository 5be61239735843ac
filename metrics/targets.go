package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Target kinds.
const (
	TargetAbsolute         = "absolute"
	TargetIntensity        = "intensity"
	TargetBAU              = "bau"
	TargetFixedLevel       = "fixed_level"
	TargetNetZero          = "net_zero"
	TargetCarbonNeutrality = "carbon_neutrality"
	TargetOther            = "other"
	TargetNone             = "no_target"
)

// TargetKinds lists every kind in the order pages explain them.
var TargetKinds = []string{TargetNetZero, TargetCarbonNeutrality, TargetAbsolute, TargetIntensity, TargetBAU, TargetFixedLevel, TargetOther, TargetNone}

// Target statuses, strongest first.
var TargetStatuses = []string{"law", "policy", "pledge", "proposed"}

// Source kinds.
const (
	SourceReported = "reported"
	SourceOfficial = "official"
	SourceModelled = "modelled"
)

// Target is a climate commitment of an area as one source printed it.
// A Target of kind no_target is a dated statement: the area reported,
// or the source found, no target in ReportYear.
type Target struct {
	ID                 int64           `db:"id" json:"id"`
	AreaID             int64           `db:"area_id" json:"-"`
	Kind               string          `db:"kind" json:"kind"`
	KindAsPrinted      string          `db:"kind_as_printed" json:"kind_as_printed"`
	Role               string          `db:"role" json:"role"`
	Gases              string          `db:"gases" json:"gases"`
	Sector             string          `db:"sector" json:"sector"`
	Boundary           string          `db:"boundary" json:"boundary"`
	BaseYear           sql.NullInt64   `db:"base_year" json:"-"`
	BaseValue          sql.NullFloat64 `db:"base_value" json:"-"`
	BaseValueAsPrinted string          `db:"base_value_as_printed" json:"base_value_as_printed"`
	TargetYear         sql.NullInt64   `db:"target_year" json:"-"`
	Percent            sql.NullFloat64 `db:"percent" json:"-"`
	Level              sql.NullFloat64 `db:"level" json:"-"`
	LevelAsPrinted     string          `db:"level_as_printed" json:"level_as_printed"`
	BAUValue           sql.NullFloat64 `db:"bau_value" json:"-"`
	IntensityUnit      string          `db:"intensity_unit" json:"intensity_unit"`
	Status             string          `db:"status" json:"status"`
	StatusAsPrinted    string          `db:"status_as_printed" json:"status_as_printed"`
	StatusYear         sql.NullInt64   `db:"status_year" json:"-"`
	YearSet            sql.NullInt64   `db:"year_set" json:"-"`
	AchievedPercent    sql.NullFloat64 `db:"achieved_percent" json:"-"`
	SourceID           int64           `db:"source_id" json:"-"`
	ReportYear         int             `db:"report_year" json:"report_year"`
	Organisation       string          `db:"organisation" json:"organisation"`
	SourceURL          string          `db:"source_url" json:"source_url"`
	Locator            string          `db:"locator" json:"locator"`
	Note               string          `db:"note" json:"note"`
	UploadID           sql.NullInt64   `db:"upload_id" json:"-"`
}

// IsStatement reports whether the target says "no target".
func (t Target) IsStatement() bool { return t.Kind == TargetNone }

// LongTerm reports whether the target is an end point (net zero,
// carbon neutrality, or one the source printed as the end target).
func (t Target) LongTerm() bool {
	return t.Kind == TargetNetZero || t.Kind == TargetCarbonNeutrality || t.Role == "end"
}

// CoversWholeInventory reports whether the target is about the area's
// whole emissions rather than one sector: the source printed no sector,
// "Total", or "All emissions sources …".
func (t Target) CoversWholeInventory() bool {
	s := strings.ToLower(strings.TrimSpace(t.Sector))
	return s == "" || s == "total" || strings.HasPrefix(s, "all emissions")
}

// Summary is the target in a few plain English words, for tables,
// downloads and tests; pages build their own localised sentence.
func (t Target) Summary() string {
	var b strings.Builder
	switch t.Kind {
	case TargetNone:
		return fmt.Sprintf("No target (reported %d)", t.ReportYear)
	case TargetNetZero:
		b.WriteString("Net zero")
	case TargetCarbonNeutrality:
		b.WriteString("Carbon neutrality")
	case TargetFixedLevel:
		b.WriteString("Fixed level")
		if t.LevelAsPrinted != "" {
			b.WriteString(" " + t.LevelAsPrinted)
		}
	default:
		if t.Percent.Valid {
			b.WriteString("−" + strconv.FormatFloat(t.Percent.Float64, 'f', -1, 64) + " %")
		} else {
			b.WriteString(kindWords[t.Kind])
		}
	}
	if t.TargetYear.Valid {
		fmt.Fprintf(&b, " by %d", t.TargetYear.Int64)
	}
	if t.Kind == TargetBAU {
		b.WriteString(" against business as usual")
	} else if t.BaseYear.Valid && t.Kind != TargetNetZero && t.Kind != TargetCarbonNeutrality {
		fmt.Fprintf(&b, " against %d", t.BaseYear.Int64)
	}
	return b.String()
}

var kindWords = map[string]string{
	TargetAbsolute: "Reduction", TargetIntensity: "Intensity reduction", TargetBAU: "Below business as usual",
	TargetFixedLevel: "Fixed level", TargetOther: "Other target",
}

// TargetFilter selects targets for the API and downloads. Empty fields
// select everything.
type TargetFilter struct {
	AreaIDs   []int64
	SourceIDs []int64
	Kinds     []string
}

// Targets lists the current targets the filter selects, ordered by
// area, then long-term before interim, then target year, then report
// year (newest first). A read pinned to a data version (AsOf) lists
// those current then (TargetsVersion).
func (s *Store) Targets(ctx context.Context, f TargetFilter) ([]Target, error) {
	args := []any{len(f.AreaIDs) == 0, idsJSON(f.AreaIDs), len(f.SourceIDs) == 0, idsJSON(f.SourceIDs), len(f.Kinds) == 0, stringsJSON(f.Kinds)}
	v, err := s.TargetsVersion(ctx)
	if err != nil {
		return nil, err
	}
	if v != 0 {
		return selectAll[Target](ctx, s.q.ListTargetsAt, fmt.Sprintf("list targets at version %d", v), append([]any{v, v, v}, args...)...)
	}
	return selectAll[Target](ctx, s.q.ListTargets, "list targets", args...)
}

// UploadTarget is a target with the upload that retired it, if any.
type UploadTarget struct {
	Target
	RetiredBy sql.NullInt64 `db:"retired_by"`
}

// UploadTargets lists the targets an upload brought, current or not,
// and those it retired.
func (s *Store) UploadTargets(ctx context.Context, uploadID int64) ([]UploadTarget, error) {
	return selectAll[UploadTarget](ctx, s.q.ListUploadTargets, "list upload targets", uploadID, uploadID)
}

// TargetsFor lists the current targets of an area.
func (s *Store) TargetsFor(ctx context.Context, areaIDs ...int64) ([]Target, error) {
	return s.Targets(ctx, TargetFilter{AreaIDs: areaIDs})
}

func stringsJSON(ss []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(s))
	}
	b.WriteByte(']')
	return b.String()
}

// SortTargets orders a city's targets as pages list them: statements of
// "no target" last, long-term first, then by target year.
func SortTargets(ts []Target) {
	sort.SliceStable(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		if a.IsStatement() != b.IsStatement() {
			return !a.IsStatement()
		}
		if a.LongTerm() != b.LongTerm() {
			return a.LongTerm()
		}
		if a.TargetYear.Int64 != b.TargetYear.Int64 {
			return a.TargetYear.Int64 < b.TargetYear.Int64
		}
		return a.ReportYear > b.ReportYear
	})
}

// InsertTarget stores one target in the transaction, brought by
// uploadID.
func InsertTarget(ctx context.Context, tx *sqlx.Tx, t Target, uploadID int64) (int64, error) {
	t.UploadID = sql.NullInt64{Int64: uploadID, Valid: uploadID != 0}
	q, args, err := sqlx.Named(`INSERT INTO targets (area_id, kind, kind_as_printed, role, gases, sector, boundary,
		base_year, base_value, base_value_as_printed, target_year, percent, level, level_as_printed, bau_value, intensity_unit,
		status, status_as_printed, status_year, year_set, achieved_percent, source_id, report_year, organisation, source_url,
		locator, note, upload_id)
		VALUES (:area_id, :kind, :kind_as_printed, :role, :gases, :sector, :boundary,
		:base_year, :base_value, :base_value_as_printed, :target_year, :percent, :level, :level_as_printed, :bau_value, :intensity_unit,
		:status, :status_as_printed, :status_year, :year_set, :achieved_percent, :source_id, :report_year, :organisation, :source_url,
		:locator, :note, :upload_id) RETURNING id`, t)
	if err != nil {
		return 0, err
	}
	var id int64
	return id, tx.GetContext(ctx, &id, q, args...)
}

// ContainedIn lists the larger areas a dataset reports as one unit that
// contain the area (Carbon Monitor's "Seoul" contains Suwon). Their
// values are never the area's own.
func (c *Catalogue) ContainedIn(id int64) []*Area { return c.containedIn[id] }

// Contains lists the areas of ours a merged area contains.
func (c *Catalogue) Contains(id int64) []*Area { return c.contains[id] }

// Merged reports whether a dataset's area merges more than one city of
// ours, so that its values must never stand for one of them.
func (c *Catalogue) Merged(id int64) bool { return len(c.contains[id]) > 1 }

func (c *Catalogue) loadContains(ctx context.Context, s *Store) error {
	links, err := selectAll[struct {
		AreaID     int64 `db:"area_id"`
		ContainsID int64 `db:"contains_id"`
	}](ctx, s.q.ListAreaContains, "list area contains")
	if err != nil {
		return err
	}
	c.containedIn = make(map[int64][]*Area)
	c.contains = make(map[int64][]*Area)
	for _, l := range links {
		big, small := c.areaByID[l.AreaID], c.areaByID[l.ContainsID]
		if big == nil || small == nil {
			continue
		}
		c.contains[big.ID] = append(c.contains[big.ID], small)
		c.containedIn[small.ID] = append(c.containedIn[small.ID], big)
	}
	return nil
}
