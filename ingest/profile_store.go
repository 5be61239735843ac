package ingest

import (
	"fmt"
	"io/fs"
	"path"
	"sort"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// ShippedProfiles reads the profiles shipped in a folder of fsys
// (data/profiles) for the database, each checked by ParseProfile and
// kept as written.
func ShippedProfiles(fsys fs.FS, dir string) ([]metrics.ShippedProfile, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []metrics.ShippedProfile
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		p, err := ParseProfile(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, metrics.ShippedProfile{Name: p.Name, Title: p.Title, Body: b})
	}
	return out, nil
}
