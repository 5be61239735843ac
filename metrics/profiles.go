package metrics

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/types"

	"github.com/twinmetrics/twinmetrics/locale"
)

// Import profile statuses: editors propose, admins approve, and a
// profile no longer wanted is retired (kept, with its history).
const (
	ProfileProposed = "proposed"
	ProfileApproved = "approved"
	ProfileRetired  = "retired"
)

// Import profile kinds: shipped with the program (data/profiles) or made
// by staff.
const (
	ProfileShipped = "shipped"
	ProfileStaff   = "staff"
)

// profileNameRule is the profile format's rule for names
// (docs/import-profiles.md).
var profileNameRule = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ErrNotAllowed is returned when the user's role may not do what was
// asked (an editor approving a profile).
var ErrNotAllowed = errors.New("not allowed")

// ImportProfile is a stored import profile. Body is the profile as
// JSON; this package stores it, the upload pipeline reads it.
type ImportProfile struct {
	ID         int64          `db:"id" json:"id"`
	Name       string         `db:"name" json:"name"`
	Title      string         `db:"title" json:"title"`
	Version    int            `db:"version" json:"version"`
	Status     string         `db:"status" json:"status"`
	Kind       string         `db:"kind" json:"kind"`
	Body       types.JSONText `db:"body" json:"body"`
	CreatedBy  string         `db:"created_by" json:"created_by"`
	CreatedAt  string         `db:"created_at" json:"created_at"`
	UpdatedBy  string         `db:"updated_by" json:"updated_by"`
	UpdatedAt  string         `db:"updated_at" json:"updated_at"`
	ApprovedBy *string        `db:"approved_by" json:"approved_by"`
	ApprovedAt *string        `db:"approved_at" json:"approved_at"`
	// ProposedBody is an editor's change of an approved profile, waiting
	// for an admin; Body stays in use until then.
	ProposedBody types.JSONText `db:"proposed_body" json:"proposed_body,omitempty"`
	ProposedBy   *string        `db:"proposed_by" json:"proposed_by,omitempty"`
	ProposedAt   *string        `db:"proposed_at" json:"proposed_at,omitempty"`
}

// HasProposal reports whether an editor's change waits for approval.
func (p ImportProfile) HasProposal() bool { return len(p.ProposedBody) > 0 }

// ProfileChange is one logged change of an import profile.
type ProfileChange struct {
	ID        int64          `db:"id" json:"id"`
	ProfileID int64          `db:"profile_id" json:"profile_id"`
	At        string         `db:"at" json:"at"`
	UserEmail string         `db:"user_email" json:"user"`
	Action    string         `db:"action" json:"action"`
	Version   int            `db:"version" json:"version"`
	OldStatus *string        `db:"old_status" json:"old_status"`
	NewStatus string         `db:"new_status" json:"new_status"`
	OldBody   types.JSONText `db:"old_body" json:"old_body"`
	NewBody   types.JSONText `db:"new_body" json:"new_body"`
	Reverts   *int64         `db:"reverts" json:"reverts,omitempty"`
}

// BodyChanged reports whether the change altered the profile's body,
// not only its status.
func (c ProfileChange) BodyChanged() bool { return !bytes.Equal(c.OldBody, c.NewBody) }

// ProfileInput is a profile to save: its name, title and body, already
// checked against the profile format by the caller.
type ProfileInput struct {
	Name  string
	Title string
	Body  []byte
}

// compactJSON stores bodies in one form, so that saving the same
// profile twice is recognised as no change.
func compactJSON(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ImportProfiles lists the stored profiles, by name; status ""
// lists them all.
func (s *Store) ImportProfiles(ctx context.Context, status string) ([]ImportProfile, error) {
	out := []ImportProfile{}
	if err := s.q.ListImportProfiles.SelectContext(ctx, &out, status, status); err != nil {
		return nil, fmt.Errorf("list import profiles: %w", err)
	}
	return out, nil
}

// ImportProfile returns one profile by number.
func (s *Store) ImportProfile(ctx context.Context, id int64) (ImportProfile, error) {
	return getProfile(ctx, s.q.GetImportProfile, id, fmt.Sprint(id))
}

// ImportProfileByName returns one profile by name.
func (s *Store) ImportProfileByName(ctx context.Context, name string) (ImportProfile, error) {
	return getProfile(ctx, s.q.GetImportProfileByName, name, strconv.Quote(name))
}

// getProfile reads one profile with a prepared query; shown names the
// profile in the error when there is none.
func getProfile(ctx context.Context, q *sqlx.Stmt, arg any, shown string) (ImportProfile, error) {
	var p ImportProfile
	err := q.GetContext(ctx, &p, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("import profile %s: %w", shown, ErrNotFound)
	}
	return p, err
}

// ImportProfileChanges lists a profile's changes, newest first.
func (s *Store) ImportProfileChanges(ctx context.Context, id int64) ([]ProfileChange, error) {
	out := []ProfileChange{}
	if err := s.q.ListImportProfileChanges.SelectContext(ctx, &out, id); err != nil {
		return nil, fmt.Errorf("import profile changes: %w", err)
	}
	return out, nil
}

func getProfileTx(ctx context.Context, tx *sqlx.Tx, where string, arg any) (ImportProfile, error) {
	var p ImportProfile
	err := tx.GetContext(ctx, &p, `SELECT p.id, p.name, p.title, p.version, p.status, p.kind, p.body, p.created_by, p.created_at,
		p.updated_by, p.updated_at, p.approved_by, p.approved_at, p.proposed_body, p.proposed_by, p.proposed_at FROM import_profiles p WHERE `+where, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("import profile %v: %w", arg, ErrNotFound)
	}
	return p, err
}

// profileChange writes a profile's new state and the change that led to
// it, in tx. Approval fields follow the new status. A "propose" change
// logs the proposal as its new body.
func profileChange(ctx context.Context, tx *sqlx.Tx, old *ImportProfile, next ImportProfile, action, who string, at time.Time, reverts *int64) (ImportProfile, error) {
	now := Timestamp(at)
	next.UpdatedBy, next.UpdatedAt = who, now
	if next.Status == ProfileApproved && (old == nil || old.Status != ProfileApproved || !bytes.Equal(old.Body, next.Body)) {
		next.ApprovedBy, next.ApprovedAt = &who, &now
	}
	if next.Status != ProfileApproved {
		next.ApprovedBy, next.ApprovedAt = nil, nil
	}
	var proposal any
	if next.HasProposal() {
		proposal = string(next.ProposedBody)
		if old == nil || !bytes.Equal(old.ProposedBody, next.ProposedBody) {
			next.ProposedBy, next.ProposedAt = &who, &now
		}
	} else {
		next.ProposedBody, next.ProposedBy, next.ProposedAt = nil, nil, nil
	}
	var oldStatus *string
	var oldBody []byte
	if old == nil {
		next.CreatedBy, next.CreatedAt, next.Version = who, now, 1
		err := tx.GetContext(ctx, &next.ID, `INSERT INTO import_profiles (name, title, version, status, kind, body, created_by, created_at, updated_by, updated_at,
			approved_by, approved_at, proposed_body, proposed_by, proposed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			next.Name, next.Title, next.Version, next.Status, next.Kind, string(next.Body), who, now, who, now, next.ApprovedBy, next.ApprovedAt,
			proposal, next.ProposedBy, next.ProposedAt)
		if err != nil {
			return next, fmt.Errorf("save import profile %s: %w", next.Name, err)
		}
	} else {
		oldStatus, oldBody = &old.Status, old.Body
		next.Version = old.Version + 1
		if _, err := tx.ExecContext(ctx, `UPDATE import_profiles SET title = ?, version = ?, status = ?, kind = ?, body = ?,
			updated_by = ?, updated_at = ?, approved_by = ?, approved_at = ?, proposed_body = ?, proposed_by = ?, proposed_at = ? WHERE id = ?`,
			next.Title, next.Version, next.Status, next.Kind, string(next.Body), who, now, next.ApprovedBy, next.ApprovedAt,
			proposal, next.ProposedBy, next.ProposedAt, old.ID); err != nil {
			return next, fmt.Errorf("save import profile %s: %w", next.Name, err)
		}
	}
	var ob any
	if oldBody != nil {
		ob = string(oldBody)
	}
	logged := next.Body
	if action == "propose" {
		logged = next.ProposedBody
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO import_profile_changes (profile_id, at, user_email, action, version, old_status, new_status, old_body, new_body, reverts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, next.ID, now, who, action, next.Version, oldStatus, next.Status, ob, string(logged), reverts); err != nil {
		return next, err
	}
	return next, nil
}

func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return s.Commit(ctx, tx)
}

// SaveImportProfile creates the profile of that name or saves a new
// version of it. What an admin saves is approved and in use at once.
// What an editor saves is proposed: a new profile waits for approval; a
// change to an approved profile waits beside it (ProposedBody), and the
// approved body stays in use until an admin approves the change. Saving
// what is already stored or proposed changes nothing. The caller checks
// the body against the format.
func (s *Store) SaveImportProfile(ctx context.Context, in ProfileInput, user User, at time.Time) (ImportProfile, error) {
	in.Name, in.Title = strings.TrimSpace(in.Name), strings.TrimSpace(in.Title)
	bad := map[string]locale.Message{}
	if !profileNameRule.MatchString(in.Name) {
		bad["name"] = profBadName.With()
	}
	if in.Title == "" || len([]rune(in.Title)) > 200 {
		bad["title"] = profBadTitle.With()
	}
	body, err := compactJSON(in.Body)
	if err != nil {
		bad["body"] = profBadBody.With()
	}
	if len(bad) > 0 {
		return ImportProfile{}, &InvalidError{bad}
	}
	var out ImportProfile
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		old, err := getProfileTx(ctx, tx, "p.name = ?", in.Name)
		if errors.Is(err, ErrNotFound) {
			status := ProfileProposed
			if user.IsAdmin() {
				status = ProfileApproved
			}
			out, err = profileChange(ctx, tx, nil, ImportProfile{Name: in.Name, Title: in.Title, Status: status, Kind: ProfileStaff, Body: body}, "create", user.Email, at, nil)
			return err
		}
		if err != nil {
			return err
		}
		next, action := old, "edit"
		next.Title = in.Title
		switch {
		case user.IsAdmin():
			if bytes.Equal(old.Body, body) && old.Title == in.Title && old.Status == ProfileApproved && !old.HasProposal() {
				out = old
				return nil
			}
			next.Body, next.Status, next.ProposedBody = body, ProfileApproved, nil
		case old.Status == ProfileApproved:
			if bytes.Equal(old.Body, body) || bytes.Equal(old.ProposedBody, body) {
				out = old
				return nil
			}
			next.Title, next.ProposedBody, action = old.Title, body, "propose"
		default:
			if bytes.Equal(old.Body, body) && old.Title == in.Title && old.Status == ProfileProposed {
				out = old
				return nil
			}
			next.Body, next.Status = body, ProfileProposed
		}
		out, err = profileChange(ctx, tx, &old, next, action, user.Email, at, nil)
		return err
	})
	return out, err
}

// setProfileStatus approves or retires a profile; only admins may.
func (s *Store) setProfileStatus(ctx context.Context, id int64, status, action string, user User, at time.Time) (ImportProfile, error) {
	if !user.IsAdmin() {
		return ImportProfile{}, ErrNotAllowed
	}
	var out ImportProfile
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		old, err := getProfileTx(ctx, tx, "p.id = ?", id)
		if err != nil {
			return err
		}
		if old.Status == status && !(status == ProfileApproved && old.HasProposal()) {
			out = old
			return nil
		}
		next := old
		next.Status = status
		if status == ProfileApproved && old.HasProposal() {
			next.Body = old.ProposedBody
		}
		next.ProposedBody = nil
		out, err = profileChange(ctx, tx, &old, next, action, user.Email, at, nil)
		return err
	})
	return out, err
}

// ApproveImportProfile lets a profile recognise and read files.
func (s *Store) ApproveImportProfile(ctx context.Context, id int64, user User, at time.Time) (ImportProfile, error) {
	return s.setProfileStatus(ctx, id, ProfileApproved, "approve", user, at)
}

// RetireImportProfile stops a profile from recognising files; it stays
// stored with its history.
func (s *Store) RetireImportProfile(ctx context.Context, id int64, user User, at time.Time) (ImportProfile, error) {
	return s.setProfileStatus(ctx, id, ProfileRetired, "retire", user, at)
}

// RevertImportProfileChange puts the profile back as it was before the
// change: its body, and its status (a profile whose creation is
// reverted is retired). Only admins may; the revert is logged as a
// change of its own.
func (s *Store) RevertImportProfileChange(ctx context.Context, changeID int64, user User, at time.Time) (ImportProfile, error) {
	if !user.IsAdmin() {
		return ImportProfile{}, ErrNotAllowed
	}
	var out ImportProfile
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var c ProfileChange
		err := tx.GetContext(ctx, &c, `SELECT c.id, c.profile_id, c.at, c.user_email, c.action, c.version, c.old_status, c.new_status,
			c.old_body, c.new_body, c.reverts FROM import_profile_changes c WHERE c.id = ?`, changeID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("import profile change %d: %w", changeID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		old, err := getProfileTx(ctx, tx, "p.id = ?", c.ProfileID)
		if err != nil {
			return err
		}
		next := old
		if len(c.OldBody) > 0 {
			next.Body = c.OldBody
		}
		next.Status = ProfileRetired
		if c.OldStatus != nil {
			next.Status = *c.OldStatus
		}
		next.ProposedBody = nil
		out, err = profileChange(ctx, tx, &old, next, "revert", user.Email, at, &c.ID)
		return err
	})
	return out, err
}

// ShippedProfile is a profile shipped in data/profiles.
type ShippedProfile struct {
	Name, Title string
	Body        []byte
}

// SeedImportProfiles stores the shipped profiles as approved. A profile
// already stored is updated only when its shipped file changed since it
// was last shipped, so running the seed again changes nothing and staff
// edits stay until a new release ships a new version. A staff profile
// of the same name is left alone.
func (s *Store) SeedImportProfiles(ctx context.Context, ps []ShippedProfile, at time.Time) (changed int, err error) {
	const who = "seed"
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, sp := range ps {
			body, err := compactJSON(sp.Body)
			if err != nil {
				return fmt.Errorf("shipped profile %s: %w", sp.Name, err)
			}
			next := ImportProfile{Name: sp.Name, Title: sp.Title, Status: ProfileApproved, Kind: ProfileShipped, Body: body}
			old, err := getProfileTx(ctx, tx, "p.name = ?", sp.Name)
			switch {
			case errors.Is(err, ErrNotFound):
				if _, err := profileChange(ctx, tx, nil, next, "ship", who, at, nil); err != nil {
					return err
				}
				changed++
				continue
			case err != nil:
				return err
			}
			if old.Kind != ProfileShipped {
				continue
			}
			var last []byte
			err = tx.GetContext(ctx, &last, `SELECT c.new_body FROM import_profile_changes c
				WHERE c.profile_id = ? AND c.action = 'ship' ORDER BY c.id DESC LIMIT 1`, old.ID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if bytes.Equal(last, body) {
				continue
			}
			next.ID, next.CreatedBy, next.CreatedAt = old.ID, old.CreatedBy, old.CreatedAt
			if _, err := profileChange(ctx, tx, &old, next, "ship", who, at, nil); err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	return changed, err
}
