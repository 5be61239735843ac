package metrics

import (
	"context"
)

// Redistribution says whether a source's terms let its values be passed on.
const (
	RedistributionPermitted    = "permitted"
	RedistributionNotPermitted = "not_permitted"
	RedistributionUnknown      = "unknown"
)

// seedRedistribution records, per source, whether its terms let us pass
// its values on (redistribution.csv: the decision and the reason, read
// from each source's licence and terms). A source the file does not name
// stays 'unknown'.
func (sd *seeder) seedRedistribution(ctx context.Context) error {
	in, err := readCSV(sd.fsys, "redistribution.csv")
	if err != nil {
		return err
	}
	for i, r := range in.rows {
		switch r["redistribution"] {
		case RedistributionPermitted, RedistributionNotPermitted, RedistributionUnknown:
		default:
			return in.errorf(i, "redistribution %q is not permitted, not_permitted or unknown", r["redistribution"])
		}
		res, err := sd.tx.ExecContext(ctx, `UPDATE sources SET redistribution = ?, redistribution_note = ? WHERE code = ?`,
			r["redistribution"], r["note"], r["code"])
		if err != nil {
			return in.wrap(i, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return in.errorf(i, "no source %q in sources.csv", r["code"])
		}
	}
	return nil
}
