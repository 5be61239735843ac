package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// targetsFile says that a profile of output "targets" reads the upload:
// it is checked and published as targets, not as values.
type targetsFile struct{ profile *Profile }

func (e *targetsFile) Error() string { return "a targets file, read with " + e.profile.Name }

// TargetsPreview is what publishing a file of climate targets would
// change, shown before anything changes: the targets of our areas it
// adds, the current targets it replaces (those the same source gave the
// same areas: retired, and back after a rollback), the rows about
// actors that are no area of ours, and every problem.
type TargetsPreview struct {
	Source    string          `json:"source"`
	Targets   []TargetLine    `json:"targets"`
	Replaces  []TargetLine    `json:"replaces"`
	Unmatched int             `json:"unmatched"`
	Problems  []TargetProblem `json:"problems,omitempty"`
}

// TargetLine is one target as staff pages list it: what pages need to
// describe it, kept with an upload's preview.
type TargetLine struct {
	Area               string   `json:"area"`
	AreaName           string   `json:"area_name"`
	Kind               string   `json:"kind"`
	KindAsPrinted      string   `json:"kind_as_printed,omitempty"`
	Role               string   `json:"role,omitempty"`
	Status             string   `json:"status,omitempty"`
	Sector             string   `json:"sector,omitempty"`
	Gases              string   `json:"gases,omitempty"`
	IntensityUnit      string   `json:"intensity_unit,omitempty"`
	BaseYear           *int64   `json:"base_year,omitempty"`
	BaseValueAsPrinted string   `json:"base_value_as_printed,omitempty"`
	TargetYear         *int64   `json:"target_year,omitempty"`
	Percent            *float64 `json:"percent,omitempty"`
	LevelAsPrinted     string   `json:"level_as_printed,omitempty"`
	AchievedPercent    *float64 `json:"achieved_percent,omitempty"`
	ReportYear         int      `json:"report_year"`
	SourceID           int64    `json:"source_id"`
	SourceURL          string   `json:"source_url,omitempty"`
	Locator            string   `json:"locator"`
	// Retired says the target is no longer current (rolled back, or
	// replaced by a later upload).
	Retired bool `json:"retired,omitempty"`
}

// NewTargetLine describes a target of an area for staff pages.
func NewTargetLine(t metrics.Target, a *metrics.Area) TargetLine {
	l := TargetLine{Kind: t.Kind, KindAsPrinted: t.KindAsPrinted, Role: t.Role, Status: t.Status, Sector: t.Sector, Gases: t.Gases,
		IntensityUnit: t.IntensityUnit, BaseValueAsPrinted: t.BaseValueAsPrinted, LevelAsPrinted: t.LevelAsPrinted,
		ReportYear: t.ReportYear, SourceID: t.SourceID, SourceURL: t.SourceURL, Locator: t.Locator}
	l.BaseYear, l.TargetYear = metrics.IntOrNil(t.BaseYear), metrics.IntOrNil(t.TargetYear)
	l.Percent, l.AchievedPercent = metrics.FloatOrNil(t.Percent), metrics.FloatOrNil(t.AchievedPercent)
	if a != nil {
		l.Area, l.AreaName = a.Slug, a.Name
	}
	return l
}

// Target is the line as a target, for the sentences pages describe
// targets with.
func (l TargetLine) Target() metrics.Target {
	t := metrics.Target{Kind: l.Kind, KindAsPrinted: l.KindAsPrinted, Role: l.Role, Status: l.Status, Sector: l.Sector, Gases: l.Gases,
		IntensityUnit: l.IntensityUnit, BaseValueAsPrinted: l.BaseValueAsPrinted, LevelAsPrinted: l.LevelAsPrinted,
		ReportYear: l.ReportYear, SourceID: l.SourceID, SourceURL: l.SourceURL, Locator: l.Locator}
	t.BaseYear, t.TargetYear = metrics.NullIntOf(l.BaseYear), metrics.NullIntOf(l.TargetYear)
	t.Percent, t.AchievedPercent = metrics.NullFloatOf(l.Percent), metrics.NullFloatOf(l.AchievedPercent)
	return t
}

// shippedTargetProfile is the shipped targets profile of that name, or
// nil.
func shippedTargetProfile(name string) (*Profile, error) {
	ps, err := ShippedTargetProfiles()
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, nil
}

// readPendingTargets reads an upload's file with its targets profile and
// finds the area of each row.
func (u *Uploader) readPendingTargets(ctx context.Context, p *Pending, prof *Profile) (TargetsResult, []TargetRow, []metrics.Target, map[int64]bool, map[string]int64, error) {
	rows, err := readTargetsWith(prof, u.path(p.Key, "original"), p.Format)
	if err != nil {
		if errors.Is(err, ErrNotTargets) {
			return TargetsResult{}, nil, nil, nil, nil, fileErr("profile_mismatch", fileProfileMismatch.With(prof.Name, strings.Join(limitList(prof.Recognise.Columns, 8), ", ")), fileHintProfileUpload.With())
		}
		return TargetsResult{}, nil, nil, nil, nil, err
	}
	res, ts, areas, srcID, err := prepareTargets(ctx, u.store, TargetProfile(prof.Name), rows)
	return res, rows, ts, areas, srcID, err
}

// stageTargets checks a targets file: what it would add and replace,
// and its problems. Nothing is written.
func (u *Uploader) stageTargets(ctx context.Context, p *Pending, prof *Profile) error {
	dv, err := u.store.DataVersion(ctx)
	if err != nil {
		return err
	}
	res, rows, ts, areas, srcID, err := u.readPendingTargets(ctx, p, prof)
	if err != nil {
		return err
	}
	cat, err := u.store.Catalogue(ctx)
	if err != nil {
		return err
	}
	byID := map[int64]*metrics.Area{}
	for _, a := range cat.Areas {
		byID[a.ID] = a
	}
	tp := &TargetsPreview{Source: prof.Source.Code, Unmatched: res.Unmatched, Problems: res.Problems, Targets: []TargetLine{}, Replaces: []TargetLine{}}
	for _, t := range ts {
		tp.Targets = append(tp.Targets, NewTargetLine(t, byID[t.AreaID]))
	}
	// The current targets publishing would retire: the same sources'
	// targets of the same areas.
	if len(areas) > 0 {
		f := metrics.TargetFilter{}
		for id := range areas {
			f.AreaIDs = append(f.AreaIDs, id)
		}
		for _, code := range sourceCodesOf(rows) {
			f.SourceIDs = append(f.SourceIDs, srcID[code])
		}
		current, err := u.store.Targets(ctx, f)
		if err != nil {
			return err
		}
		for _, t := range current {
			tp.Replaces = append(tp.Replaces, NewTargetLine(t, byID[t.AreaID]))
		}
	}
	p.DataVersion = dv
	p.Targets = tp
	p.Counts = Counts{Lines: len(rows), Total: len(ts) + res.Rejected, New: len(ts), Rejected: res.Rejected, Skipped: res.Unmatched}
	p.ReadAs = &ReadAs{Profile: prof.Name, Title: prof.Title, Version: prof.Version, Detected: p.Profile == ""}
	return nil
}

// publishPendingTargets publishes a checked targets file: the file is
// read again with the same profile, and must give what the preview
// showed; the data must not have changed since.
func (u *Uploader) publishPendingTargets(ctx context.Context, p *Pending, user metrics.User) (int64, error) {
	name := ""
	if p.ReadAs != nil {
		name = p.ReadAs.Profile
	}
	ps, err := u.Profiles(ctx)
	if err != nil {
		return 0, err
	}
	prof, err := u.namedProfile(ctx, name, ps)
	if prof == nil && err == nil {
		prof, err = shippedTargetProfile(name)
	}
	if err != nil {
		return 0, err
	}
	if prof == nil || prof.Output != OutputTargets {
		return 0, fmt.Errorf("upload %s: targets profile %q not found", p.Key, name)
	}
	res, rows, ts, areas, srcID, err := u.readPendingTargets(ctx, p, prof)
	if err != nil {
		return 0, err
	}
	if len(ts) != p.Counts.New || res.Rejected != p.Counts.Rejected {
		return 0, fmt.Errorf("upload %s: the file now gives %d targets and %d rejected, the preview had %d and %d", p.Key, len(ts), res.Rejected, p.Counts.New, p.Counts.Rejected)
	}
	created, _ := time.Parse(time.RFC3339, p.CreatedAt)
	up := targetsUpload{FileName: p.FileName, SHA256: p.SHA256, Format: p.Format, By: p.UserEmail, Key: p.Key, Created: created}
	res, err = publishTargets(ctx, u.store, user, up, u.now(), res, rows, ts, areas, srcID, p.DataVersion)
	return res.UploadID, err
}

// UploadTargets lists the targets an upload brought (current or not)
// and those it replaced, for its record page.
func UploadTargets(ctx context.Context, s *metrics.Store, uploadID int64) (brought, replaced []TargetLine, err error) {
	cat, err := s.Catalogue(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := map[int64]*metrics.Area{}
	for _, a := range cat.Areas {
		byID[a.ID] = a
	}
	ts, err := s.UploadTargets(ctx, uploadID)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range ts {
		l := NewTargetLine(t.Target, byID[t.AreaID])
		l.Retired = t.RetiredBy.Valid
		if t.UploadID.Valid && t.UploadID.Int64 == uploadID {
			brought = append(brought, l)
		} else {
			replaced = append(replaced, l)
		}
	}
	return brought, replaced, nil
}
