package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// TargetsResult says what a targets upload did.
type TargetsResult struct {
	UploadID  int64
	Profile   TargetProfile
	New       int
	Replaced  int
	Unmatched int // rows about actors that are no area of ours
}

// PublishTargets reads a targets file in a publisher's layout and
// publishes the targets of our areas as one upload, all or nothing.
// They replace the current targets the same source gave the same areas
// (kept, retired by this upload), so that a rollback brings those back;
// targets of other sources stay beside them, conflicting or not.
func PublishTargets(ctx context.Context, s *metrics.Store, user metrics.User, fileName string, b []byte, now time.Time) (TargetsResult, error) {
	res, rows, ts, areas, srcID, err := prepareTargets(ctx, s, fileName, b)
	if err != nil {
		return res, err
	}
	return publishTargets(ctx, s, user, fileName, b, now, res, rows, ts, areas, srcID)
}

// CheckTargets reads a targets file as PublishTargets would and says
// what it would publish, changing nothing.
func CheckTargets(ctx context.Context, s *metrics.Store, fileName string, b []byte) (TargetsResult, error) {
	res, _, ts, _, _, err := prepareTargets(ctx, s, fileName, b)
	res.New = len(ts)
	return res, err
}

func prepareTargets(ctx context.Context, s *metrics.Store, fileName string, b []byte) (TargetsResult, []TargetRow, []metrics.Target, map[int64]bool, map[string]int64, error) {
	var res TargetsResult
	cat, err := s.Catalogue(ctx)
	if err != nil {
		return res, nil, nil, nil, nil, err
	}
	profile, rows, err := ReadTargets(fileName, b)
	if err != nil {
		return res, nil, nil, nil, nil, err
	}
	res.Profile = profile
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
		id, ok := srcID[r.SourceCode]
		if !ok {
			return res, nil, nil, nil, nil, fmt.Errorf("source %q is not in the catalogue", r.SourceCode)
		}
		t := r.Target
		t.AreaID, t.SourceID = a.ID, id
		ts = append(ts, t)
		areas[a.ID] = true
	}
	return res, rows, ts, areas, srcID, nil
}

func publishTargets(ctx context.Context, s *metrics.Store, user metrics.User, fileName string, b []byte, now time.Time,
	res TargetsResult, rows []TargetRow, ts []metrics.Target, areas map[int64]bool, srcID map[string]int64) (TargetsResult, error) {
	sum := sha256.Sum256(b)
	tx, err := s.DB().BeginWrite(ctx)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	stamp := now.UTC().Format(time.RFC3339)
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(fileName)), ".")
	if err := tx.GetContext(ctx, &res.UploadID, `INSERT INTO uploads (kind, file_name, sha256, format, uploaded_by, user_id, created_at, published_at, status, rows_new)
		VALUES ('file', ?, ?, ?, ?, ?, ?, ?, 'published', ?) RETURNING id`, filepath.Base(fileName), hex.EncodeToString(sum[:]), format, user.Email, user.ID, stamp, stamp, len(ts)); err != nil {
		return res, err
	}
	for id := range areas {
		for _, code := range sourceCodesOf(rows) {
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
