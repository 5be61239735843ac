package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// AliasInput proposes Alias, a name as a file prints it, as another
// name of the area Slug.
type AliasInput struct {
	Slug, Alias string
}

// AliasResult says what became of one proposed alias: added, already
// there, or refused because the name already stands for another area.
type AliasResult struct {
	AliasInput
	Outcome string `json:"outcome"` // added, known, other_area, unknown_area
	Other   string `json:"other,omitempty"`
}

// Alias outcomes.
const (
	AliasAdded       = "added"
	AliasKnown       = "known"
	AliasOtherArea   = "other_area"
	AliasUnknownArea = "unknown_area"
)

// AcceptAliases adds the aliases in one transaction, logged as
// catalogue changes. A name that already names another area is not
// added (it would make that area's rows ambiguous).
func (s *Store) AcceptAliases(ctx context.Context, in []AliasInput, who string) ([]AliasResult, error) {
	out := make([]AliasResult, 0, len(in))
	added := 0
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, a := range in {
			a.Alias = strings.TrimSpace(a.Alias)
			r := AliasResult{AliasInput: a}
			var id int64
			err := tx.GetContext(ctx, &id, `SELECT a.id FROM areas a WHERE a.slug = ?`, a.Slug)
			if errors.Is(err, sql.ErrNoRows) || a.Alias == "" || len(a.Alias) > 200 {
				r.Outcome = AliasUnknownArea
				out = append(out, r)
				continue
			}
			if err != nil {
				return err
			}
			var owners []string
			if err := tx.SelectContext(ctx, &owners, `SELECT DISTINCT ar.slug FROM area_aliases al JOIN areas ar ON ar.id = al.area_id
				WHERE al.folded = ? ORDER BY ar.slug`, Fold(a.Alias)); err != nil {
				return err
			}
			switch {
			case len(owners) == 1 && owners[0] == a.Slug:
				r.Outcome = AliasKnown
			case len(owners) > 0:
				r.Outcome, r.Other = AliasOtherArea, strings.Join(owners, ", ")
			default:
				if _, err := tx.ExecContext(ctx, `INSERT INTO area_aliases (area_id, alias, folded) VALUES (?, ?, ?)
					ON CONFLICT (area_id, alias) DO NOTHING`, id, a.Alias, Fold(a.Alias)); err != nil {
					return fmt.Errorf("add alias %q: %w", a.Alias, err)
				}
				if err := logCatalogueChange(ctx, tx, who, "city", a.Slug, "alias", a.Alias); err != nil {
					return err
				}
				r.Outcome = AliasAdded
				added++
			}
			out = append(out, r)
		}
		if added > 0 {
			// Aliases are part of the catalogue: readers of it reload.
			if _, err := RecordGlobalChange(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
