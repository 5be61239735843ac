package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twinmetrics/twinmetrics/locale"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// TargetsResult says what a targets upload did, or would do.
type TargetsResult struct {
	UploadID  int64
	Profile   TargetProfile
	New       int
	Replaced  int
	Unmatched int // rows about actors that are no area of ours
	// Rejected counts the targets of our areas left out for a problem,
	// each listed in Problems.
	Rejected int
	Problems []TargetProblem
}

// TargetProblem is a problem of one target row of an area of ours: its
// place in the file, the area, and what is wrong.
type TargetProblem struct {
	Line    int     `json:"line"`
	Sheet   string  `json:"sheet,omitempty"`
	Area    string  `json:"area"`
	Problem Problem `json:"problem"`
}

// PublishTargets reads a targets file in a publisher's layout and
// publishes the targets of our areas as one upload, all or nothing.
// They replace the current targets the same source gave the same areas
// (kept, retired by this upload), so that a rollback brings those back;
// targets of other sources stay beside them, conflicting or not. A file
// with a problem in a row of ours is refused, naming each problem.
func PublishTargets(ctx context.Context, s *metrics.Store, user metrics.User, fileName string, b []byte, now time.Time) (TargetsResult, error) {
	profile, rows, err := ReadTargets(fileName, b)
	if err != nil {
		return TargetsResult{}, err
	}
	res, ts, areas, srcID, err := prepareTargets(ctx, s, profile, rows)
	if err != nil {
		return res, err
	}
	if len(res.Problems) > 0 {
		var lines []string
		for _, p := range res.Problems {
			lines = append(lines, fmt.Sprintf("line %d (%s), column %s: %s", p.Line, p.Area, p.Problem.Column, locale.English(p.Problem.Message)))
		}
		return res, fmt.Errorf("%s: nothing published, %d target(s) cannot be read: %s", fileName, res.Rejected, strings.Join(lines, "; "))
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(fileName)), ".")
	up := targetsUpload{FileName: filepath.Base(fileName), Format: format, By: user.Email, Created: now}
	sum := sha256.Sum256(b)
	up.SHA256 = hex.EncodeToString(sum[:])
	return publishTargets(ctx, s, user, up, now, res, rows, ts, areas, srcID, 0)
}

// CheckTargets reads a targets file as PublishTargets would and says
// what it would publish, changing nothing.
func CheckTargets(ctx context.Context, s *metrics.Store, fileName string, b []byte) (TargetsResult, error) {
	profile, rows, err := ReadTargets(fileName, b)
	if err != nil {
		return TargetsResult{}, err
	}
	res, ts, _, _, err := prepareTargets(ctx, s, profile, rows)
	res.New = len(ts)
	return res, err
}

// prepareTargets finds the area of each row: the targets of our areas
// to publish, the areas they are about, and the problems of the rows of
// ours that cannot be read.
func prepareTargets(ctx context.Context, s *metrics.Store, profile TargetProfile, rows []TargetRow) (TargetsResult, []metrics.Target, map[int64]bool, map[string]int64, error) {
	res := TargetsResult{Profile: profile}
	cat, err := s.Catalogue(ctx)
	if err != nil {
		return res, nil, nil, nil, err
	}
	resolver := NewTargetResolver(cat)
	srcID := map[string]int64{}
	for _, src := range cat.Sources {
		srcID[src.Code] = src.ID
	}
	var ts []metrics.Target
	areas := map[int64]bool{}
	for _, r := range rows {
		a := resolver.Area(r)
		if a == nil {
			res.Unmatched++
			continue
		}
		if len(r.Problems) > 0 {
			res.Rejected++
			for _, p := range r.Problems {
				res.Problems = append(res.Problems, TargetProblem{Line: r.Line, Sheet: r.Sheet, Area: a.Name, Problem: p})
			}
			continue
		}
		id, ok := srcID[r.SourceCode]
		if !ok {
			return res, nil, nil, nil, fmt.Errorf("source %q is not in the catalogue", r.SourceCode)
		}
		t := r.Target
		t.AreaID, t.SourceID = a.ID, id
		ts = append(ts, t)
		areas[a.ID] = true
	}
	return res, ts, areas, srcID, nil
}

// targetsUpload is the upload record a targets file is published as.
type targetsUpload struct {
	FileName, SHA256, Format, By, Key string
	Created                           time.Time
}

// publishTargets writes the targets in one transaction. A dataVersion
// other than 0 is the version a preview was made at: a change since
// refuses the publication.
func publishTargets(ctx context.Context, s *metrics.Store, user metrics.User, up targetsUpload, now time.Time,
	res TargetsResult, rows []TargetRow, ts []metrics.Target, areas map[int64]bool, srcID map[string]int64, dataVersion int64) (TargetsResult, error) {
	tx, err := s.DB().BeginWrite(ctx)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	if dataVersion != 0 {
		var dvs string
		if err := tx.GetContext(ctx, &dvs, `SELECT value FROM meta WHERE key = 'data_version'`); err != nil {
			return res, err
		}
		if dv, _ := strconv.ParseInt(dvs, 10, 64); dv != dataVersion {
			return res, refuse(refusedDataChanged, dataVersion, dv)
		}
	}
	stamp := metrics.Timestamp(now)
	created := metrics.Timestamp(up.Created)
	var key any
	if up.Key != "" {
		key = up.Key
	}
	if err := tx.GetContext(ctx, &res.UploadID, `INSERT INTO uploads (kind, file_name, sha256, format, uploaded_by, user_id, created_at, published_at, status, rows_new, rows_rejected, upload_key, published_by)
		VALUES ('file', ?, ?, ?, ?, ?, ?, ?, 'published', ?, ?, ?, ?) RETURNING id`,
		up.FileName, up.SHA256, up.Format, up.By, nullID(user.ID), created, stamp, len(ts), res.Rejected, key, user.Email); err != nil {
		return res, err
	}
	for id := range areas {
		for _, code := range sourceCodesOf(rows) {
			// Kept as they were, for pages pinned to earlier versions.
			if err := metrics.CloseTargets(ctx, tx, `t.area_id = ? AND t.source_id = ?`, id, srcID[code]); err != nil {
				return res, err
			}
			r, err := tx.ExecContext(ctx, `UPDATE targets SET retired_by = ? WHERE retired_by IS NULL AND area_id = ? AND source_id = ?`, res.UploadID, id, srcID[code])
			if err != nil {
				return res, err
			}
			n, _ := r.RowsAffected()
			res.Replaced += int(n)
		}
	}
	for _, t := range ts {
		if _, err := metrics.InsertTarget(ctx, tx, t, res.UploadID); err != nil {
			return res, fmt.Errorf("%s: %w", t.Locator, err)
		}
		res.New++
	}
	if _, err := metrics.RecordUploadChange(ctx, tx, res.UploadID); err != nil {
		return res, err
	}
	return res, s.Commit(ctx, tx)
}

func sourceCodesOf(rows []TargetRow) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if !seen[r.SourceCode] {
			seen[r.SourceCode] = true
			out = append(out, r.SourceCode)
		}
	}
	return out
}
