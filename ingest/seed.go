package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// The seed is built from the publishers' files: the catalogue and a
// small curated set of values (read on web pages, or from files not kept
// here) come from the seed CSV files; every value that came from a raw
// publisher file is imported from that file, as published, through its
// import profile, and published as an upload like any other.

// RawSeed is one raw publisher file the seed imports: its path under
// data/raw, the profile that reads it, and the mark of the seed CSV's
// found_via column for the rows it replaces.
type RawSeed struct {
	File, Profile, FoundVia string
}

// RawSeeds reads raw_seed.csv.
func RawSeeds(fsys fs.FS) ([]RawSeed, error) {
	f, err := fsys.Open("raw_seed.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("raw_seed.csv: %w", err)
	}
	if strings.Join(head, ",") != "raw_file,profile,found_via" {
		return nil, fmt.Errorf("raw_seed.csv: header %q, want raw_file,profile,found_via", head)
	}
	var out []RawSeed
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("raw_seed.csv: %w", err)
		}
		out = append(out, RawSeed{File: rec[0], Profile: rec[1], FoundVia: rec[2]})
	}
}

// Marks lists the found_via marks of raw seeds, for metrics.SeedOptions.
func Marks(seeds []RawSeed) []string {
	out := make([]string, len(seeds))
	for i, s := range seeds {
		out[i] = s.FoundVia
	}
	return out
}

// SeedFileResult is what seeding one raw file did.
type SeedFileResult struct {
	File     string
	Profile  string
	Skipped  bool // already published, or nothing new
	UploadID int64
	Counts   Counts
	Skips    *Skips
}

// SeedFromRaw imports each raw seed file with its profile and publishes
// it as an upload by "seed" (rejected rows left out, warnings
// confirmed: the values are as published). It is idempotent: a file the
// seed published before with the same content (even if rolled back
// since), or one that changes nothing, is not published again.
func (u *Uploader) SeedFromRaw(ctx context.Context, raw fs.FS, seeds []RawSeed) ([]SeedFileResult, error) {
	user := metrics.User{Email: "seed"}
	var out []SeedFileResult
	for _, s := range seeds {
		res := SeedFileResult{File: s.File, Profile: s.Profile}
		b, err := fs.ReadFile(raw, path.Join("raw", s.File))
		if err != nil {
			return out, err
		}
		sum := sha256.Sum256(b)
		var n int
		// Published before, whether still current or rolled back since:
		// a seed file an admin rolled back stays rolled back.
		if err := u.store.DB().R.GetContext(ctx, &n, `SELECT COUNT(*) FROM uploads u
			WHERE u.kind = 'file' AND u.sha256 = ? AND u.file_name = ? AND u.uploaded_by = ?`, hex.EncodeToString(sum[:]), path.Base(s.File), user.Email); err != nil {
			return out, err
		}
		if n > 0 {
			res.Skipped = true
			out = append(out, res)
			continue
		}
		p, err := u.Receive(ctx, strings.NewReader(string(b)), path.Base(s.File), user)
		if err != nil {
			return out, fmt.Errorf("seed %s: %w", s.File, err)
		}
		if err := u.UseProfile(ctx, p.Key, s.Profile); err != nil {
			return out, fmt.Errorf("seed %s: %w", s.File, err)
		}
		if p, err = u.Check(ctx, p.Key); err != nil {
			return out, fmt.Errorf("seed %s: %w", s.File, err)
		}
		if p.FileError != nil {
			u.Discard(p.Key)
			return out, fmt.Errorf("seed %s: %s", s.File, p.FileError.Error())
		}
		res.Counts, res.Skips = p.Counts, p.Skips
		if p.Counts.New+p.Counts.Changed == 0 {
			u.Discard(p.Key)
			res.Skipped = true
			out = append(out, res)
			continue
		}
		id, err := u.Publish(ctx, p.Key, user, PublishOptions{AllowRejected: true, ConfirmWarnings: true})
		var re *RefusedError
		if errors.As(err, &re) {
			return out, fmt.Errorf("seed %s: %s", s.File, re.Error())
		}
		if err != nil {
			return out, fmt.Errorf("seed %s: %w", s.File, err)
		}
		res.UploadID = id
		out = append(out, res)
	}
	return out, nil
}
