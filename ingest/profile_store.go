package ingest

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// ShippedProfileRecords reads the profiles shipped in a folder of fsys
// (data/profiles) for the database, each checked by ParseProfile and
// kept as written.
func ShippedProfileRecords(fsys fs.FS, dir string) ([]metrics.ShippedProfile, error) {
	var out []metrics.ShippedProfile
	err := profileFiles(fsys, dir, func(_ string, p *Profile, b []byte) error {
		out = append(out, metrics.ShippedProfile{Name: p.Name, Title: p.Title, Body: b})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UseStoredProfiles makes the uploader read files with the profiles
// stored in the database: the approved ones recognise files, and a
// proposed one is used when an upload asks for it by name (the mapping
// step checks the file with the profile an editor just proposed). A
// stored body the format no longer reads is left out.
func (u *Uploader) UseStoredProfiles() {
	u.SetProfiles(func(ctx context.Context) ([]*Profile, error) {
		stored, err := u.store.ImportProfiles(ctx, metrics.ProfileApproved)
		if err != nil {
			return nil, err
		}
		out := make([]*Profile, 0, len(stored))
		for _, sp := range stored {
			if p, err := ParseProfile(sp.Body); err == nil {
				out = append(out, p)
			}
		}
		return out, nil
	})
	u.SetNamedProfile(func(ctx context.Context, name string) (*Profile, error) {
		sp, err := u.store.ImportProfileByName(ctx, name)
		if err != nil {
			return nil, err
		}
		if sp.Status == metrics.ProfileRetired {
			return nil, fmt.Errorf("import profile %s is retired: %w", name, metrics.ErrNotFound)
		}
		return ParseProfile(sp.Body)
	})
}
